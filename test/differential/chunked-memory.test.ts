// The same differential property as engine-vs-oracle, on a simulated memory large
// enough (>= 64 MiB) that the engine backs its own tables 4 MiB chunk at a time.
// Walks then find most table entries through the linear window (chunks that are
// contiguous in linear memory too, phys.ts) and the rest through the frame
// directory. The 16 MiB memory of the other differential tests never backs a
// chunk. The last test puts tables in a second chunk that the window cannot take.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BUILDS, PROPERTY_TIMEOUT as TIMEOUT, CACHE_SETUPS, LAYOUTS, runs } from './support/layouts.js';
import { opSequence } from './support/ops.js';
import { Run } from './support/interpreter.js';
import { createWorld } from './support/world.js';
import { Engine } from '../../src/engine/engine.js';
import { Access, Perm } from '../../src/engine/types.js';

const MiB2 = 0x20_0000n;

const CHUNKED_MEMORY_BYTES = 128 * 1024 * 1024;
const NUM_RUNS = runs(3, 40);
const MAX_OPS = 40;
const SETUPS = CACHE_SETUPS.filter((setup) => setup.name.startsWith('caches off') || setup.name === 'default caches');
const SHAPES = LAYOUTS.filter((layout) => ['x86-64 4-level', 'vtd-ss 3-level', 'x86-64 4-level over vtd-ss 4-level', 'vtd-ss 4-level over x86-64 4-level'].includes(layout.name));

describe.each(BUILDS)('engine == oracle over chunk-backed tables (%s build)', (build) => {
  describe.each(SHAPES)('$name', (layout) => {
    it.each(SETUPS)('$name', async ({ options }) => {
      await fc.assert(
        fc.asyncProperty(opSequence(layout.parent !== undefined, MAX_OPS), fc.boolean(), async (ops, ad) => {
          const world = await createWorld(layout, build, ad, options, CHUNKED_MEMORY_BYTES);
          new Run(world).execute(ops);
        }),
        { numRuns: NUM_RUNS },
      );
    }, TIMEOUT);
  });
});

describe.each(BUILDS)('tables in a chunk outside the linear window (%s build)', (build) => {
  it('walks through tables in both chunks translate every page', async () => {
    const engine = await Engine.create({ build, physMemBytes: CHUNKED_MEMORY_BYTES, iotlb: false, walkCache: false });
    const space = engine.createSpace({ format: 'x86-64', levels: 4 });
    // One last-level table per 2 MiB page: 600 fill most of the first 4 MiB chunk.
    const map = (from: number, to: number) => {
      for (let i = from; i < to; i++) engine.map(space, BigInt(i) * MiB2 + 0x5000n, 0x100_0000n + BigInt(i) * 0x1000n, 0x1000n, Perm.R);
    };
    map(0, 600);
    // A data frame taken from the pool now puts the next table chunk after it in
    // linear memory, so that chunk is not contiguous with the window's.
    engine.phys.write(0x800_0000n, new Uint8Array([1, 2, 3]));
    map(600, 1200);
    for (let i = 0; i < 1200; i++) {
      const iova = BigInt(i) * MiB2 + 0x5123n;
      const want = 0x100_0000n + BigInt(i) * 0x1000n + 0x123n;
      expect(engine.walk(space, iova, Access.READ)).toMatchObject({ fault: 0, addr: want });
      expect(engine.translate(space, iova, Access.READ)).toMatchObject({ fault: 0, addr: want });
    }
  });
});
