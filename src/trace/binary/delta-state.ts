// The prediction state the record encoder and decoder keep in lockstep. It is
// reset at every chunk boundary so that each chunk decodes on its own: a reader
// can resynchronise after a bad chunk, and state never grows with the file.
//
// Both sides must call the same advance* function after every record; any
// divergence would silently shift every later address, which is why the state
// transitions live here and nowhere else.

import { DMA_HISTORY_SLOTS } from './layout.js';

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** What map, unmap and range invalidation predict from, per address space. */
export interface SpaceState {
  /** IOVA of the space's last map/unmap/range invalidation. */
  lastIova: bigint;
  /** lastIova + that record's length. */
  iovaEnd: bigint;
  /** Length of the space's last map or unmap. */
  length: bigint;
  /** Address just past the space's last map. */
  addrEnd: bigint;
  /** Permissions of the space's last map. */
  perms: number;
}

/**
 * One remembered IOVA of a DMA stream. A ring of fixed-size buffers is a
 * constant stride, so `next` predicts it exactly; a descriptor ring and its
 * data buffers interleave, so a stream keeps several slots.
 */
export interface HistorySlot {
  iova: bigint;
  length: bigint;
  /** iova + length: the base for a delta when the stride does not hold. */
  end: bigint;
  /** iova - the slot's previous iova. */
  stride: bigint;
  /** iova + stride: where the next access in this slot is expected. */
  next: bigint;
  /** Encoder-only recency stamp for choosing which slot a new region evicts. */
  lastUse: number;
}

export interface StreamState {
  device: number;
  pasid: number | undefined;
  slots: HistorySlot[];
}

function newSlot(): HistorySlot {
  return { iova: 0n, length: 0n, end: 0n, stride: 0n, next: 0n, lastUse: 0 };
}

export class ChunkState {
  private readonly spaces = new Map<number, SpaceState>();
  private readonly streams = new Map<string, StreamState>();
  /** Space of the last map/unmap/space-or-range invalidation, for "same space" flags. */
  lastSpace: number | undefined;
  /** Stream of the last DMA record, for the DMA "same stream" case. */
  currentStream: StreamState | undefined;

  space(id: number): SpaceState {
    let state = this.spaces.get(id);
    if (!state) {
      state = { lastIova: 0n, iovaEnd: 0n, length: 0n, addrEnd: 0n, perms: 0 };
      this.spaces.set(id, state);
    }
    return state;
  }

  stream(device: number, pasid: number | undefined): StreamState {
    const key = pasid === undefined ? `${device}` : `${device}/${pasid}`;
    let state = this.streams.get(key);
    if (!state) {
      const slots: HistorySlot[] = [];
      for (let i = 0; i < DMA_HISTORY_SLOTS; i++) slots.push(newSlot());
      state = { device, pasid, slots };
      this.streams.set(key, state);
    }
    return state;
  }
}

export function advanceSpaceRange(state: SpaceState, iova: bigint, length: bigint): void {
  state.lastIova = iova;
  state.iovaEnd = U64(iova + length);
}

export function advanceSpaceMap(state: SpaceState, iova: bigint, addr: bigint, length: bigint, perms: number): void {
  advanceSpaceRange(state, iova, length);
  state.length = length;
  state.addrEnd = U64(addr + length);
  state.perms = perms;
}

export function advanceSpaceUnmap(state: SpaceState, iova: bigint, length: bigint): void {
  advanceSpaceRange(state, iova, length);
  state.length = length;
}

export function advanceSlot(slot: HistorySlot, iova: bigint, length: bigint): void {
  const stride = U64(iova - slot.iova);
  slot.stride = stride;
  slot.next = U64(iova + stride);
  slot.iova = iova;
  slot.length = length;
  slot.end = U64(iova + length);
}

/** Signed 64-bit difference a - b, zigzag-mapped so small negatives stay small. */
export function zigzagDelta(a: bigint, b: bigint): bigint {
  const d = BigInt.asIntN(64, a - b);
  return d >= 0n ? d << 1n : ((-d) << 1n) - 1n;
}

/** Inverse of zigzagDelta: the a for which zigzagDelta(a, base) === zigzag. */
export function applyZigzagDelta(base: bigint, zigzag: bigint): bigint {
  const d = zigzag & 1n ? -((zigzag + 1n) >> 1n) : zigzag >> 1n;
  return U64(base + d);
}
