// The same differential property as engine-vs-oracle, on a simulated memory large
// enough (>= 64 MiB) that the engine backs its own tables 4 MiB chunk at a time.
// Walks then find most table entries through the linear window (chunks that are
// contiguous in linear memory too, phys.ts) and the rest through the frame
// directory: data frames taken between two chunks end the window, so both paths
// run. The 16 MiB memory of the other differential tests never backs a chunk.

import { describe, it } from 'vitest';
import fc from 'fast-check';
import { BUILDS, PROPERTY_TIMEOUT as TIMEOUT, CACHE_SETUPS, LAYOUTS, runs } from './support/layouts.js';
import { opSequence } from './support/ops.js';
import { Run } from './support/interpreter.js';
import { createWorld } from './support/world.js';

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
