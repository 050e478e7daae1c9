// Allocation-failure injection, the kernel's fail_nth idea: every point where a call
// allocates something (an object ID, a frame, an engine space or table, a pin) asks the
// guard first. Armed with N, the Nth allocation from then on fails as if memory were
// exhausted, so a test can walk N = 1, 2, ... over one call and check that each failure
// is -ENOMEM with every effect undone.
export type AllocationPoint = 'object-id' | 'frame' | 'pin' | 'engine-space' | 'engine-map' | 'driver';

export class AllocGuard {
  private countdown = 0;
  /** Allocation points passed since the guard was armed (how many a call makes). */
  seen = 0;
  /** The point that was failed, once one was. */
  failedAt: AllocationPoint | undefined;

  /** Fail the `nth` allocation from now on (1 = the very next one); 0 disarms. */
  arm(nth: number): void {
    this.countdown = nth;
    this.seen = 0;
    this.failedAt = undefined;
  }

  disarm(): void {
    this.countdown = 0;
  }

  /** True when the allocation may proceed. */
  allow(point: AllocationPoint): boolean {
    if (this.countdown === 0) return true;
    this.seen++;
    if (--this.countdown > 0) return true;
    this.failedAt = point;
    return false;
  }
}
