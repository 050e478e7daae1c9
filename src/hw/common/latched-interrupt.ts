// An event interrupt as IOMMUs gate them: a source raised while software has it masked
// stays pending and is delivered when it is unmasked. Each model encodes the mask and
// pending state in its own control register (VT-d: IM/IP of FECTL, IECTL, PECTL).

export class LatchedInterrupt<K> {
  /** Out of reset an interrupt is masked. */
  private isMasked = true;
  private isPending = false;
  delivered = 0;

  constructor(readonly kind: K, private readonly deliver: (kind: K) => void) {}

  get masked(): boolean { return this.isMasked; }
  get pending(): boolean { return this.isPending; }

  raise(): void {
    if (this.isMasked) {
      this.isPending = true;
      return;
    }
    this.delivered++;
    this.deliver(this.kind);
  }

  /** Masking keeps what is pending; unmasking delivers it once. */
  setMasked(masked: boolean): void {
    this.isMasked = masked;
    if (!masked && this.isPending) {
      this.isPending = false;
      this.delivered++;
      this.deliver(this.kind);
    }
  }
}
