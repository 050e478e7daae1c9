// The engine's public vocabulary, shared by the Wasm wrapper, the oracle, the
// benchmark peer and the layers above. Numbers here mirror assembly/ constants
// (docs/formats.md is the contract).

export const Access = { READ: 1, WRITE: 2, EXEC: 4, USER: 8 } as const;
export const Perm = { R: 1, W: 2, X: 4, U: 8 } as const;

export const FaultReason = {
  NONE: 0,
  TRANSLATION: 1,
  PERMISSION: 2,
  RESERVED: 3,
  ADDRESS_SIZE: 4,
  EXTERNAL: 5,
  /**
   * The leaf's A (or for a write D) is clear and the space cannot set it (RISC-V with
   * `ad` off). 6 is the fault ring's stale hit; 7 and 8 are statuses (no such space, a
   * nested space).
   */
  ACCESS_FLAG: 9,
} as const;
export type FaultReasonCode = (typeof FaultReason)[keyof typeof FaultReason];

/**
 * The page-table formats the core walks: the id a space stores (assembly/formats/
 * registry.ts has the same list), the level counts it takes, and the formats it may
 * nest on as a stage 1 (its parents). Tests iterate this list, so a format added
 * here and in the core is exercised by every differential test.
 */
export const FORMATS = {
  'x86-64': { id: 1, levels: [4, 5], parents: ['vtd-ss', 'x86-64'], about: 'x86-64 4/5-level paging: VT-d first stage, AMD v2' },
  'vtd-ss': { id: 2, levels: [3, 4, 5], parents: ['vtd-ss', 'x86-64'], about: 'Intel VT-d second stage, 3 to 5 levels' },
  'riscv-sv': { id: 3, levels: [3, 4, 5], parents: [], about: 'RISC-V Sv39/Sv48/Sv57 first stage (single-stage until the G-stage lands)' },
} as const satisfies Record<string, { id: number; levels: readonly number[]; parents: readonly string[]; about: string }>;
export type FormatName = keyof typeof FORMATS;

/** Format ids by name (the core's numbering). */
export const FormatId = Object.fromEntries(Object.entries(FORMATS).map(([name, f]) => [name, f.id])) as { readonly [K in FormatName]: (typeof FORMATS)[K]['id'] };

export const Replacement = { lru: 0, random: 1, 'round-robin': 2 } as const;
export type ReplacementName = keyof typeof Replacement;

/** Result of one translation, the same shape from the engine and the oracle. */
export interface Translation {
  /** 0 when translated, else a FaultReason. */
  fault: number;
  /** 1 = the space's own walk, 2 = the parent's walk (nested). 0 when translated. */
  stage: number;
  /** Level of the entry that decided the outcome (leaf level on success). */
  level: number;
  /** Output physical address on success; the fault address (docs/formats.md) otherwise. */
  addr: bigint;
  /** Normalised permissions (Perm bits) on success, 0 on a fault. */
  perms: number;
  /** log2 of the translation's page size on success, 0 on a fault. */
  pageShift: number;
}

/** Host physical memory as the oracle and the plain-TypeScript peer see it. */
export interface PhysMemory {
  /** The 64-bit little-endian word at `pa`, or undefined when the frame is not backed. */
  read64(pa: bigint): bigint | undefined;
  /** Stores a word; backs the frame if needed. */
  write64(pa: bigint, value: bigint): void;
}

/** A translation context as the oracle sees it. */
export interface SpaceDescriptor {
  format: FormatName;
  levels: number;
  /** Root table address (a GPA when `parent` is set). */
  root: bigint;
  /** Set accessed/dirty bits while walking. */
  ad: boolean;
  /**
   * Walk as an inspection does (Engine.walk without writeAd): nothing is written,
   * while `ad` still says whether the hardware could set A/D, which decides the
   * formats that fault when it cannot (RISC-V).
   */
  inspect?: boolean;
  parent?: SpaceDescriptor;
}

/**
 * Backing store for user memory and DMA: 4 KiB frames of the engine's simulated
 * host physical memory. The engine implements it; layers above (uAPI user memory,
 * driver models) only use this interface.
 */
export interface FrameStore {
  /** Allocates and backs one zeroed 4 KiB frame; undefined when memory is exhausted. */
  allocFrame(): bigint | undefined;
  /** Returns a frame obtained from allocFrame. */
  freeFrame(pa: bigint): void;
  /** Copies bytes out of physical memory; throws RangeError on an unbacked frame. */
  read(pa: bigint, length: number): Uint8Array;
  /** Copies bytes into physical memory, backing frames as needed. */
  write(pa: bigint, bytes: Uint8Array): void;
}
