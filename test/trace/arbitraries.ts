// fast-check generators for records and headers. Values cluster around a few
// bases so that the delta/stride paths of the encoder are exercised, not only
// the "far address" path that uniform 64-bit values would hit every time.

import fc from 'fast-check';
import type { JsonValue, TraceHeaderInit, TraceRecord } from '../../src/trace/records.js';

const U64_MAX = (1n << 64n) - 1n;

const id = fc.oneof(fc.constantFrom(0, 1, 2, 0xffff_ffff), fc.nat({ max: 0xffff_ffff }));

const address = fc.oneof(
  fc.constantFrom(0n, 0x1000n, 0x2000n, 0x10_0000n, U64_MAX - 0xfffn, 1n << 63n),
  fc.bigInt({ min: 0n, max: 0xffff_ffffn }).map((v) => v << 12n),
  fc.bigInt({ min: 0n, max: U64_MAX }),
);

const length = fc.oneof(fc.constantFrom(0n, 1n, 64n, 4096n, 0x20_0000n), fc.bigInt({ min: 0n, max: 1n << 40n }));

/** iova and length with iova + length <= 2^64, as validateRecord requires. */
const range = fc.tuple(address, length).map(([iova, len]) => {
  const room = (1n << 64n) - iova;
  return { iova, length: len > room ? room : len };
});

export const recordArb: fc.Arbitrary<TraceRecord> = fc.oneof(
  fc.record({ space: id, r: range, addr: address, perms: fc.nat({ max: 15 }) }).map(
    ({ space, r, addr, perms }): TraceRecord => ({ type: 'map', space, iova: r.iova, addr, length: r.length, perms }),
  ),
  fc.record({ space: id, r: range }).map(({ space, r }): TraceRecord => ({ type: 'unmap', space, ...r })),
  fc.record({ space: id, r: range, leafOnly: fc.boolean() }).map(
    ({ space, r, leafOnly }): TraceRecord => ({ type: 'invalidate', kind: 'range', space, ...r, leafOnly }),
  ),
  id.map((space): TraceRecord => ({ type: 'invalidate', kind: 'space', space })),
  id.map((group): TraceRecord => ({ type: 'invalidate', kind: 'group', group })),
  fc.constant<TraceRecord>({ type: 'invalidate', kind: 'all' }),
  fc
    .record({
      device: id,
      pasid: fc.option(id, { nil: undefined }),
      r: range,
      access: fc.constantFrom('read' as const, 'write' as const, 'exec' as const),
    })
    .map(({ device, pasid, r, access }): TraceRecord =>
      pasid === undefined ? { type: 'dma', device, ...r, access } : { type: 'dma', device, pasid, ...r, access },
    ),
);

/**
 * Sequences with runs: the same stream or space repeated with small steps, which
 * is what makes the encoder pick its "same"/stride flags.
 */
export const recordSequenceArb: fc.Arbitrary<TraceRecord[]> = fc
  .array(fc.tuple(recordArb, fc.nat({ max: 6 }), fc.constantFrom(0n, 64n, 2048n, 4096n)), { maxLength: 60 })
  .map((runs) => {
    const out: TraceRecord[] = [];
    for (const [first, repeat, step] of runs) {
      out.push(first);
      if (!('iova' in first)) continue;
      for (let i = 1; i <= repeat; i++) {
        const iova = first.iova + step * BigInt(i);
        if (iova >= 1n << 64n || iova + first.length > 1n << 64n) break;
        out.push({ ...first, iova });
      }
    }
    return out;
  });

const jsonValue: fc.Arbitrary<JsonValue> = fc.json().map((text) => JSON.parse(text) as JsonValue);

export const headerArb: fc.Arbitrary<TraceHeaderInit> = fc
  .record({
    creator: fc.string({ unit: 'binary', maxLength: 40 }),
    seed: fc.bigInt({ min: 0n, max: U64_MAX }),
    metadata: fc.option(jsonValue, { nil: undefined }),
  })
  .map(({ creator, seed, metadata }) => (metadata === undefined ? { creator, seed } : { creator, seed, metadata }));
