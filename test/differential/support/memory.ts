// PhysMemory wrappers the differential tests put between the oracle and the
// engine's simulated memory.

import type { PhysMemory } from '../../../src/engine/types.js';

/** Records every address read; refuses writes (a lookup walk must not write). */
export class RecordingMemory implements PhysMemory {
  readonly reads: bigint[] = [];

  constructor(private readonly inner: PhysMemory) {}

  read64(pa: bigint): bigint | undefined {
    this.reads.push(pa);
    return this.inner.read64(pa);
  }

  write64(pa: bigint): void {
    throw new Error(`RecordingMemory: unexpected write at 0x${pa.toString(16)}`);
  }
}

/**
 * Reads fall through to `below` unless the word was written here; writes stay
 * here. Lets the oracle walk with A/D on without touching the engine's memory, so
 * the engine's own A/D writes can be compared with the oracle's afterwards.
 */
export class OverlayMemory implements PhysMemory {
  readonly written = new Map<bigint, bigint>();
  /** write64 calls (an entry can be written twice: A, then D). */
  writes = 0;

  constructor(private readonly below: PhysMemory) {}

  read64(pa: bigint): bigint | undefined {
    return this.written.get(pa) ?? this.below.read64(pa);
  }

  write64(pa: bigint, value: bigint): void {
    this.written.set(pa, BigInt.asUintN(64, value));
    this.writes++;
  }
}

/**
 * A stage-1 space's view of guest memory: GPAs translated by the parent with the
 * oracle (no A/D), unmapped GPAs read as unbacked. Used to locate stage-1 entries.
 */
export class GuestPhysView implements PhysMemory {
  constructor(private readonly toHost: (gpa: bigint) => bigint | undefined, private readonly host: PhysMemory) {}

  read64(gpa: bigint): bigint | undefined {
    const hpa = this.toHost(gpa);
    return hpa === undefined ? undefined : this.host.read64(hpa);
  }

  write64(gpa: bigint): void {
    throw new Error(`GuestPhysView: unexpected write at GPA 0x${gpa.toString(16)}`);
  }
}
