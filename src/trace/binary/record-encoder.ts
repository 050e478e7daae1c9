// Encodes records into one chunk payload, choosing per record the flags that
// let fields be predicted from ChunkState. The choices only affect size: the
// decoder follows whatever the flags say.

import type { DmaRecord, InvalidateRecord, MapRecord, TraceRecord, UnmapRecord } from '../records.js';
import { ByteSink, varBigSize } from './byte-sink.js';
import {
  ChunkState,
  advanceSlot,
  advanceSpaceMap,
  advanceSpaceRange,
  advanceSpaceUnmap,
  zigzagDelta,
  type HistorySlot,
} from './delta-state.js';
import {
  DMA_ACCESS_SHIFT,
  DMA_BASE,
  DMA_NEW_STREAM,
  DMA_SAME_LENGTH,
  DMA_STRIDE,
  INVALIDATE_BASE,
  INVALIDATE_LEAF_ONLY,
  INVALIDATE_SAME_SPACE,
  MAP_ADDR_CONTIGUOUS,
  MAP_BASE,
  MAP_SAME_LENGTH,
  MAP_SAME_PERMS,
  MAP_SAME_SPACE,
  UNMAP_BASE,
  UNMAP_SAME_LENGTH,
  UNMAP_SAME_SPACE,
} from './layout.js';

const ACCESS_CODE = { read: 0, write: 1, exec: 2 } as const;
const INVALIDATE_KIND_CODE = { range: 0, space: 1, group: 2, all: 3 } as const;

/**
 * An address delta this many bytes long or more means "a new region": the
 * record then takes the least recently used slot so the stream's other
 * regions keep their history.
 */
const FAR_DELTA_BYTES = 3;

export class ChunkEncoder {
  readonly sink = new ByteSink(1 << 16);
  private state = new ChunkState();
  private clock = 0;
  /** Records in the current payload. */
  count = 0;

  /** Starts a new payload with fresh prediction state. */
  reset(): void {
    this.sink.reset();
    this.state = new ChunkState();
    this.count = 0;
  }

  /** Appends one record; the caller has validated it. */
  encode(record: TraceRecord): void {
    switch (record.type) {
      case 'dma':
        this.encodeDma(record);
        break;
      case 'map':
        this.encodeMap(record);
        break;
      case 'unmap':
        this.encodeUnmap(record);
        break;
      case 'invalidate':
        this.encodeInvalidate(record);
        break;
    }
    this.count++;
  }

  private encodeMap(r: MapRecord): void {
    const sink = this.sink;
    const sameSpace = this.state.lastSpace === r.space;
    const space = this.state.space(r.space);
    let type = MAP_BASE;
    if (sameSpace) type |= MAP_SAME_SPACE;
    if (space.perms === r.perms) type |= MAP_SAME_PERMS;
    if (space.addrEnd === r.addr) type |= MAP_ADDR_CONTIGUOUS;
    if (space.length === r.length) type |= MAP_SAME_LENGTH;
    sink.u8(type);
    if (!sameSpace) sink.varNumber(r.space);
    if (!(type & MAP_SAME_PERMS)) sink.u8(r.perms);
    sink.varBig(zigzagDelta(r.iova, space.iovaEnd));
    if (!(type & MAP_ADDR_CONTIGUOUS)) sink.varBig(zigzagDelta(r.addr, space.addrEnd));
    if (!(type & MAP_SAME_LENGTH)) sink.varBig(r.length);
    advanceSpaceMap(space, r.iova, r.addr, r.length, r.perms);
    this.state.lastSpace = r.space;
  }

  private encodeUnmap(r: UnmapRecord): void {
    const sink = this.sink;
    const sameSpace = this.state.lastSpace === r.space;
    const space = this.state.space(r.space);
    let type = UNMAP_BASE;
    if (sameSpace) type |= UNMAP_SAME_SPACE;
    if (space.length === r.length) type |= UNMAP_SAME_LENGTH;
    sink.u8(type);
    if (!sameSpace) sink.varNumber(r.space);
    // Against the last start, not end: unmapping what was just mapped is the
    // common pattern and then costs a single zero byte.
    sink.varBig(zigzagDelta(r.iova, space.lastIova));
    if (!(type & UNMAP_SAME_LENGTH)) sink.varBig(r.length);
    advanceSpaceUnmap(space, r.iova, r.length);
    this.state.lastSpace = r.space;
  }

  private encodeInvalidate(r: InvalidateRecord): void {
    const sink = this.sink;
    let type = INVALIDATE_BASE | INVALIDATE_KIND_CODE[r.kind];
    switch (r.kind) {
      case 'range': {
        const sameSpace = this.state.lastSpace === r.space;
        const space = this.state.space(r.space);
        if (sameSpace) type |= INVALIDATE_SAME_SPACE;
        if (r.leafOnly) type |= INVALIDATE_LEAF_ONLY;
        sink.u8(type);
        if (!sameSpace) sink.varNumber(r.space);
        sink.varBig(zigzagDelta(r.iova, space.lastIova));
        sink.varBig(r.length);
        advanceSpaceRange(space, r.iova, r.length);
        this.state.lastSpace = r.space;
        return;
      }
      case 'space': {
        const sameSpace = this.state.lastSpace === r.space;
        if (sameSpace) type |= INVALIDATE_SAME_SPACE;
        sink.u8(type);
        if (!sameSpace) sink.varNumber(r.space);
        this.state.lastSpace = r.space;
        return;
      }
      case 'group':
        sink.u8(type);
        sink.varNumber(r.group);
        return;
      case 'all':
        sink.u8(type);
        return;
    }
  }

  private encodeDma(r: DmaRecord): void {
    const sink = this.sink;
    const state = this.state;
    let stream = state.currentStream;
    let type = DMA_BASE | (ACCESS_CODE[r.access] << DMA_ACCESS_SHIFT);
    if (!stream || stream.device !== r.device || stream.pasid !== r.pasid) {
      stream = state.stream(r.device, r.pasid);
      state.currentStream = stream;
      type |= DMA_NEW_STREAM;
    }
    const slots = stream.slots;
    const iova = r.iova;
    const length = r.length;

    let chosen = -1;
    let strideHit = false;
    let zigzag = 0n;
    // A stride hit is the cheapest case by far; look for it before paying for
    // any delta arithmetic.
    for (let s = 0; s < slots.length; s++) {
      if (slots[s].next === iova) {
        if (chosen < 0 || slots[s].length === length) {
          chosen = s;
          strideHit = true;
          if (slots[s].length === length) break;
        }
      }
    }
    if (chosen < 0) {
      let bestCost = Infinity;
      for (let s = 0; s < slots.length; s++) {
        const zz = zigzagDelta(iova, slots[s].end);
        const cost = varBigSize(zz) + (slots[s].length === length ? 0 : 1);
        if (cost < bestCost) {
          bestCost = cost;
          chosen = s;
          zigzag = zz;
        }
      }
      if (bestCost >= FAR_DELTA_BYTES) {
        chosen = leastRecentlyUsed(slots);
        zigzag = zigzagDelta(iova, slots[chosen].end);
      }
    }

    const slot = slots[chosen];
    type |= chosen;
    if (strideHit) type |= DMA_STRIDE;
    if (slot.length === length) type |= DMA_SAME_LENGTH;
    sink.u8(type);
    if (type & DMA_NEW_STREAM) {
      sink.varNumber(r.device);
      // 0 stands for "no PASID" so the common case is one byte.
      sink.varNumber(r.pasid === undefined ? 0 : r.pasid + 1);
    }
    if (!strideHit) sink.varBig(zigzag);
    if (!(type & DMA_SAME_LENGTH)) sink.varBig(length);
    advanceSlot(slot, iova, length);
    slot.lastUse = ++this.clock;
  }
}

function leastRecentlyUsed(slots: HistorySlot[]): number {
  let oldest = 0;
  for (let s = 1; s < slots.length; s++) if (slots[s].lastUse < slots[oldest].lastUse) oldest = s;
  return oldest;
}
