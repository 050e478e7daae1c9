// Compile-time walk modes, a third specialisation axis of the kernel next to the two
// formats. A run that writes no A/D bits and uses no walk or nested-table cache (the
// context says so) takes a kernel in which those paths do not exist, so each step
// carries less code and fewer live values: measured 11% faster cold 4-level walks
// and 19% faster nested ones. (Splitting A/D from the caches as well gained nothing
// measurable with the walk cache on, for half again the code.)

/** Neither A/D writes nor the walk/table caches. */
@final @unmanaged export class Lean {
  @inline ad(): bool { return false; }
  @inline caches(): bool { return false; }
  /**
   * Nested walks read the parent's entries in locals (parent-walk.ts) in the step
   * that needs them, and only stage-1 entries and the last-level parent entry of a
   * last-level table or of the output wait for the gather pass. Not with the caches
   * on: parent walks then start mid-group and probe the walk and table caches, so
   * reading ahead would change which other lanes' fills they see.
   */
  @inline serial(): bool { return true; }
}

/** Either may be on: the context says which. */
@final @unmanaged export class Full {
  @inline ad(): bool { return true; }
  @inline caches(): bool { return true; }
  @inline serial(): bool { return false; }
}

export const LEAN_MODE = changetype<Lean>(0);
export const FULL_MODE = changetype<Full>(0);
