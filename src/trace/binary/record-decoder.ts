// Decodes one chunk payload back into records, mirroring record-encoder.ts.
// The payload has already passed its CRC, so a failure here means a writer bug
// or a newer writer's record type; either way the offset points at the record.

import { TraceFormatError } from '../errors.js';
import {
  DMA_ACCESSES,
  TRACE_PERM_MASK,
  U32_MAX,
  U64_LIMIT,
  type DmaAccess,
  type InvalidateKind,
  type TraceRecord,
} from '../records.js';
import { ByteCursor } from './byte-cursor.js';
import {
  ChunkState,
  advanceSlot,
  advanceSpaceMap,
  advanceSpaceRange,
  advanceSpaceUnmap,
  applyZigzagDelta,
} from './delta-state.js';
import {
  DMA_ACCESS_MASK,
  DMA_ACCESS_SHIFT,
  DMA_BASE,
  DMA_NEW_STREAM,
  DMA_SAME_LENGTH,
  DMA_SLOT_MASK,
  DMA_STRIDE,
  INVALIDATE_BASE,
  INVALIDATE_KIND_MASK,
  INVALIDATE_LEAF_ONLY,
  INVALIDATE_SAME_SPACE,
  MAP_ADDR_CONTIGUOUS,
  MAP_BASE,
  MAP_SAME_LENGTH,
  MAP_SAME_PERMS,
  MAP_SAME_SPACE,
  UNMAP_BASE,
  UNMAP_FLAGS,
  UNMAP_SAME_LENGTH,
  UNMAP_SAME_SPACE,
} from './layout.js';

const INVALIDATE_KINDS_BY_CODE: readonly InvalidateKind[] = ['range', 'space', 'group', 'all'];
const U32_PLUS_ONE = U32_MAX + 1;

function unknownType(type: number, offset: number): TraceFormatError {
  return new TraceFormatError('unknown-record', `unknown record type 0x${type.toString(16).padStart(2, '0')}`, {
    offset,
  });
}

/** Decodes exactly `count` records from a chunk payload located at `fileOffset`. */
export function decodeChunk(payload: Uint8Array, count: number, fileOffset: number): TraceRecord[] {
  const cursor = new ByteCursor(payload, fileOffset, 'chunk payload');
  const state = new ChunkState();
  const records: TraceRecord[] = new Array(count);
  for (let i = 0; i < count; i++) {
    if (cursor.atEnd) throw cursor.corrupted(`payload ends after ${i} of ${count} records`);
    records[i] = decodeRecord(cursor, state);
  }
  if (!cursor.atEnd) throw cursor.corrupted(`${cursor.remaining} bytes left after the chunk's ${count} records`);
  return records;
}

function decodeRecord(cursor: ByteCursor, state: ChunkState): TraceRecord {
  const at = cursor.offset;
  const type = cursor.u8();
  if (type >= DMA_BASE) return decodeDma(cursor, state, type, at);
  switch (type & 0xf0) {
    case MAP_BASE:
      return decodeMap(cursor, state, type, at);
    case UNMAP_BASE:
      return decodeUnmap(cursor, state, type, at);
    case INVALIDATE_BASE:
      return decodeInvalidate(cursor, state, type, at);
    default:
      throw unknownType(type, at);
  }
}

// Writers never produce a range past 2^64 (validateRecord); a payload that
// does comes from a foreign or broken writer and must not reach a replayer.
function checkRange(cursor: ByteCursor, iova: bigint, length: bigint, at: number): void {
  if (iova + length > U64_LIMIT) throw cursor.corrupted('record range runs past 2^64', at);
}

function spaceField(cursor: ByteCursor, state: ChunkState, same: boolean, at: number): number {
  if (!same) return cursor.varNumber(U32_MAX, 'space id');
  if (state.lastSpace === undefined) throw cursor.corrupted('"same space" flag with no earlier space in the chunk', at);
  return state.lastSpace;
}

function decodeMap(cursor: ByteCursor, state: ChunkState, type: number, at: number): TraceRecord {
  const spaceId = spaceField(cursor, state, (type & MAP_SAME_SPACE) !== 0, at);
  const space = state.space(spaceId);
  let perms = space.perms;
  if (!(type & MAP_SAME_PERMS)) {
    perms = cursor.u8();
    if (perms & ~TRACE_PERM_MASK) throw cursor.corrupted(`map permissions 0x${perms.toString(16)} use reserved bits`, at);
  }
  const iova = applyZigzagDelta(space.iovaEnd, cursor.varBig('map iova delta'));
  const addr = type & MAP_ADDR_CONTIGUOUS ? space.addrEnd : applyZigzagDelta(space.addrEnd, cursor.varBig('map address delta'));
  const length = type & MAP_SAME_LENGTH ? space.length : cursor.varBig('map length');
  checkRange(cursor, iova, length, at);
  advanceSpaceMap(space, iova, addr, length, perms);
  state.lastSpace = spaceId;
  return { type: 'map', space: spaceId, iova, addr, length, perms };
}

function decodeUnmap(cursor: ByteCursor, state: ChunkState, type: number, at: number): TraceRecord {
  if (type & ~(UNMAP_BASE | UNMAP_FLAGS)) throw unknownType(type, at);
  const spaceId = spaceField(cursor, state, (type & UNMAP_SAME_SPACE) !== 0, at);
  const space = state.space(spaceId);
  const iova = applyZigzagDelta(space.lastIova, cursor.varBig('unmap iova delta'));
  const length = type & UNMAP_SAME_LENGTH ? space.length : cursor.varBig('unmap length');
  checkRange(cursor, iova, length, at);
  advanceSpaceUnmap(space, iova, length);
  state.lastSpace = spaceId;
  return { type: 'unmap', space: spaceId, iova, length };
}

function decodeInvalidate(cursor: ByteCursor, state: ChunkState, type: number, at: number): TraceRecord {
  const kind = INVALIDATE_KINDS_BY_CODE[type & INVALIDATE_KIND_MASK];
  const leafOnly = (type & INVALIDATE_LEAF_ONLY) !== 0;
  const sameSpace = (type & INVALIDATE_SAME_SPACE) !== 0;
  // Flags that mean nothing for a kind would be silently dropped on
  // re-encoding; treat them as a type this reader does not know.
  if ((leafOnly && kind !== 'range') || (sameSpace && kind !== 'range' && kind !== 'space')) throw unknownType(type, at);
  switch (kind) {
    case 'range': {
      const spaceId = spaceField(cursor, state, sameSpace, at);
      const space = state.space(spaceId);
      const iova = applyZigzagDelta(space.lastIova, cursor.varBig('invalidation iova delta'));
      const length = cursor.varBig('invalidation length');
      checkRange(cursor, iova, length, at);
      advanceSpaceRange(space, iova, length);
      state.lastSpace = spaceId;
      return { type: 'invalidate', kind, space: spaceId, iova, length, leafOnly };
    }
    case 'space': {
      const spaceId = spaceField(cursor, state, sameSpace, at);
      state.lastSpace = spaceId;
      return { type: 'invalidate', kind, space: spaceId };
    }
    case 'group':
      return { type: 'invalidate', kind, group: cursor.varNumber(U32_MAX, 'group id') };
    default:
      return { type: 'invalidate', kind: 'all' };
  }
}

function decodeDma(cursor: ByteCursor, state: ChunkState, type: number, at: number): TraceRecord {
  const access: DmaAccess | undefined = DMA_ACCESSES[(type & DMA_ACCESS_MASK) >> DMA_ACCESS_SHIFT];
  if (access === undefined) throw unknownType(type, at);
  let stream = state.currentStream;
  if (type & DMA_NEW_STREAM) {
    const device = cursor.varNumber(U32_MAX, 'device id');
    const pasidPlusOne = cursor.varNumber(U32_PLUS_ONE, 'pasid');
    stream = state.stream(device, pasidPlusOne === 0 ? undefined : pasidPlusOne - 1);
    state.currentStream = stream;
  } else if (!stream) {
    throw cursor.corrupted('DMA record continues a stream but the chunk has no earlier DMA record', at);
  }
  const slot = stream.slots[type & DMA_SLOT_MASK];
  const iova = type & DMA_STRIDE ? slot.next : applyZigzagDelta(slot.end, cursor.varBig('dma iova delta'));
  const length = type & DMA_SAME_LENGTH ? slot.length : cursor.varBig('dma length');
  checkRange(cursor, iova, length, at);
  advanceSlot(slot, iova, length);
  if (stream.pasid === undefined) return { type: 'dma', device: stream.device, iova, length, access };
  return { type: 'dma', device: stream.device, pasid: stream.pasid, iova, length, access };
}
