// The trace record model: what a DMA workload is made of, independent of how it
// is stored (binary, NDJSON) or where it came from (generator, ftrace import).
// Addresses and lengths are bigint because IOVAs and physical addresses use the
// full 64-bit range; ids stay numbers because every IOMMU's tags fit in 32 bits.

import { Perm } from '../engine/types.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Permission bits of a mapping: the engine's Perm bits (R=1, W=2, X=4, U=8). */
export const TRACE_PERM_MASK = Perm.R | Perm.W | Perm.X | Perm.U;

export interface TraceHeader {
  /** Version of the format the trace was read from (writers stamp their own). */
  version: number;
  /** Free text naming the tool that produced the trace. */
  creator: string;
  /** Anything the creator wants to keep with the trace (workload parameters...). */
  metadata?: JsonValue;
  /** Seed of the generator that produced the trace, 0 when not generated. */
  seed: bigint;
}

/** What a writer needs: the version is always the writer's own. */
export type TraceHeaderInit = Omit<TraceHeader, 'version'>;

export interface MapRecord {
  type: 'map';
  space: number;
  iova: bigint;
  /** Physical address, or user virtual address for iommufd-style IOAS maps. */
  addr: bigint;
  length: bigint;
  /** TRACE_PERM_MASK bits. */
  perms: number;
}

export interface UnmapRecord {
  type: 'unmap';
  space: number;
  iova: bigint;
  length: bigint;
}

export interface RangeInvalidateRecord {
  type: 'invalidate';
  kind: 'range';
  space: number;
  iova: bigint;
  length: bigint;
  /** Only leaf entries changed: walk caches may be kept (VT-d IH, SMMU Leaf...). */
  leafOnly: boolean;
}

export interface SpaceInvalidateRecord {
  type: 'invalidate';
  kind: 'space';
  space: number;
}

export interface GroupInvalidateRecord {
  type: 'invalidate';
  kind: 'group';
  group: number;
}

export interface AllInvalidateRecord {
  type: 'invalidate';
  kind: 'all';
}

export type InvalidateRecord =
  | RangeInvalidateRecord
  | SpaceInvalidateRecord
  | GroupInvalidateRecord
  | AllInvalidateRecord;

export type InvalidateKind = InvalidateRecord['kind'];
export const INVALIDATE_KINDS: readonly InvalidateKind[] = ['range', 'space', 'group', 'all'];

export type DmaAccess = 'read' | 'write' | 'exec';
export const DMA_ACCESSES: readonly DmaAccess[] = ['read', 'write', 'exec'];

export interface DmaRecord {
  type: 'dma';
  /** The requester: a device id, or a space id for traces that skip device binding. */
  device: number;
  /** Absent for requests without a PASID (requester id only). */
  pasid?: number;
  iova: bigint;
  length: bigint;
  access: DmaAccess;
}

export type TraceRecord = MapRecord | UnmapRecord | InvalidateRecord | DmaRecord;
export type TraceRecordType = TraceRecord['type'];
export const RECORD_TYPES: readonly TraceRecordType[] = ['map', 'unmap', 'invalidate', 'dma'];

export type RecordCounts = Record<TraceRecordType, number>;

export function emptyCounts(): RecordCounts {
  return { map: 0, unmap: 0, invalidate: 0, dma: 0 };
}

export const U64_LIMIT = 1n << 64n;
export const U32_MAX = 0xffff_ffff;

function checkU32(value: unknown, what: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new RangeError(`${what} must be an integer in [0, 2^32-1], got ${String(value)}`);
  }
}

function checkU64(value: unknown, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value >= U64_LIMIT) {
    throw new RangeError(`${what} must be a bigint in [0, 2^64-1], got ${String(value)}`);
  }
}

// A range that wraps past 2^64 cannot be mapped or accessed by any IOMMU, and
// rejecting it here keeps every encoder free of wrap-around special cases.
function checkRange(iova: unknown, length: unknown, what: string): void {
  checkU64(iova, `${what}.iova`);
  checkU64(length, `${what}.length`);
  if ((iova as bigint) + (length as bigint) > U64_LIMIT) {
    throw new RangeError(`${what}: iova + length exceeds 2^64`);
  }
}

/** Throws RangeError/TypeError when a record would not survive a round trip. */
export function validateRecord(record: TraceRecord): void {
  switch (record.type) {
    case 'map':
      checkU32(record.space, 'map.space');
      checkRange(record.iova, record.length, 'map');
      checkU64(record.addr, 'map.addr');
      if (!Number.isInteger(record.perms) || (record.perms & ~TRACE_PERM_MASK) !== 0 || record.perms < 0) {
        throw new RangeError(`map.perms must use only bits 0x${TRACE_PERM_MASK.toString(16)}, got ${record.perms}`);
      }
      return;
    case 'unmap':
      checkU32(record.space, 'unmap.space');
      checkRange(record.iova, record.length, 'unmap');
      return;
    case 'invalidate':
      switch (record.kind) {
        case 'range':
          checkU32(record.space, 'invalidate.space');
          checkRange(record.iova, record.length, 'invalidate');
          if (typeof record.leafOnly !== 'boolean') throw new TypeError('invalidate.leafOnly must be a boolean');
          return;
        case 'space':
          checkU32(record.space, 'invalidate.space');
          return;
        case 'group':
          checkU32(record.group, 'invalidate.group');
          return;
        case 'all':
          return;
        default:
          throw new TypeError(`unknown invalidate kind ${String((record as { kind: unknown }).kind)}`);
      }
    case 'dma':
      checkU32(record.device, 'dma.device');
      if (record.pasid !== undefined) checkU32(record.pasid, 'dma.pasid');
      checkRange(record.iova, record.length, 'dma');
      if (!DMA_ACCESSES.includes(record.access)) throw new TypeError(`unknown dma access ${String(record.access)}`);
      return;
    default:
      throw new TypeError(`unknown record type ${String((record as { type: unknown }).type)}`);
  }
}

// A lone surrogate has no UTF-8 form: the binary writer would store U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function validateHeader(header: TraceHeaderInit): void {
  if (typeof header.creator !== 'string') throw new TypeError('header.creator must be a string');
  if (LONE_SURROGATE.test(header.creator)) throw new TypeError('header.creator must be well-formed Unicode');
  checkU64(header.seed, 'header.seed');
  if (header.metadata !== undefined) {
    // Reject what JSON cannot carry (bigint, undefined, functions, NaN) now rather
    // than produce a trace whose metadata reads back different.
    const text = JSON.stringify(header.metadata);
    if (text === undefined || !deepEqualJson(JSON.parse(text) as JsonValue, header.metadata)) {
      throw new TypeError('header.metadata must be a plain JSON value');
    }
  }
}

function deepEqualJson(a: unknown, b: unknown): boolean {
  if (a === b) return !(typeof b === 'number' && Object.is(b, -0));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqualJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
