// Deterministic synthetic workloads for size and streaming tests, shaped after
// what real devices do rather than random noise.

import type { TraceRecord } from '../../src/trace/records.js';

/** A tiny deterministic PRNG (xorshift32) so sizes are reproducible. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

const ETHERNET_LENGTHS = [64, 128, 576, 1500, 1514, 60, 1514, 1514];

/**
 * A NIC with an RX and a TX ring: per packet the device reads the descriptor,
 * writes (RX) or reads (TX) the packet buffer, then writes the descriptor back.
 * Buffers are 2 KiB apart in one IOVA region, descriptors 16 bytes apart in
 * another, as a typical driver sets them up.
 */
export function* nicRingTrace(packets: number, seed = 1, ringSize = 512): Generator<TraceRecord> {
  const random = prng(seed);
  const device = 3;
  const rings = [
    { desc: 0xfff0_0000n, bufs: 0xffe0_0000n, rx: true },
    { desc: 0xfff1_0000n, bufs: 0xffc0_0000n, rx: false },
  ];
  const next = [0, 0];
  for (let p = 0; p < packets; p++) {
    const r = random() < 0.6 ? 0 : 1;
    const ring = rings[r];
    const slot = BigInt(next[r]);
    next[r] = (next[r] + 1) % ringSize;
    const len = BigInt(ETHERNET_LENGTHS[Math.floor(random() * ETHERNET_LENGTHS.length)]);
    const desc = ring.desc + slot * 16n;
    yield { type: 'dma', device, iova: desc, length: 16n, access: 'read' };
    yield { type: 'dma', device, iova: ring.bufs + slot * 2048n, length: len, access: ring.rx ? 'write' : 'read' };
    yield { type: 'dma', device, iova: desc, length: 16n, access: 'write' };
  }
}

/**
 * Streaming DMA-API style: map a buffer, access it, unmap it and invalidate,
 * with IOVAs handed out top-down as the Linux IOVA allocator does.
 */
export function* mapUnmapTrace(buffers: number, seed = 2): Generator<TraceRecord> {
  const random = prng(seed);
  let iova = 0xffff_f000n;
  const space = 1;
  for (let b = 0; b < buffers; b++) {
    const pages = 1n + BigInt(Math.floor(random() * 4));
    const length = pages * 4096n;
    iova -= length;
    const addr = 0x1_0000_0000n + BigInt(Math.floor(random() * 0x10_0000)) * 4096n;
    yield { type: 'map', space, iova, addr, length, perms: 3 };
    yield { type: 'dma', device: space, iova, length: length - 128n, access: 'write' };
    yield { type: 'unmap', space, iova, length };
    yield { type: 'invalidate', kind: 'range', space, iova, length, leafOnly: true };
    if (iova < 0x1000_0000n) iova = 0xffff_f000n;
  }
}
