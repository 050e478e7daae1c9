// Typed views over the core's linear memory. Memory grows once, at init; the views
// are rebuilt only if an embedder grew it since (an identity check at API entry).
export interface Views {
  u8: Uint8Array;
  u32: Uint32Array;
  dv: DataView;
}

export class MemoryViews {
  private current: Views;

  constructor(private readonly memory: WebAssembly.Memory) {
    this.current = MemoryViews.make(memory.buffer);
  }

  private static make(buffer: ArrayBuffer): Views {
    return { u8: new Uint8Array(buffer), u32: new Uint32Array(buffer), dv: new DataView(buffer) };
  }

  get(): Views {
    if (this.current.u8.buffer !== this.memory.buffer) this.current = MemoryViews.make(this.memory.buffer);
    return this.current;
  }
}
