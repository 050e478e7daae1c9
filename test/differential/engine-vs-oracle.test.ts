// The engine must translate exactly as the oracle does, whatever the caches hold,
// as long as every change is followed by the invalidation the architecture asks
// for: random map/unmap/PTE-edit sequences (stage 1 and, nested, stage 2) with
// translations and uncached walks checked at every step.

import { describe, it } from 'vitest';
import fc from 'fast-check';
import { BUILDS, PROPERTY_TIMEOUT as TIMEOUT, CACHE_SETUPS, FUZZ_LONG, LAYOUTS, runs } from './support/layouts.js';
import { opSequence } from './support/ops.js';
import { Run } from './support/interpreter.js';
import { createWorld } from './support/world.js';

const NUM_RUNS = runs(10, 300);
const MAX_OPS = FUZZ_LONG ? 160 : 40;

describe.each(BUILDS)('engine == oracle (%s build)', (build) => {
  describe.each(LAYOUTS)('$name', (layout) => {
    describe.each([false, true])('A/D %s', (ad) => {
      it.each(CACHE_SETUPS)('$name', async ({ options }) => {
        await fc.assert(
          fc.asyncProperty(opSequence(layout.parent !== undefined, MAX_OPS), async (ops) => {
            const world = await createWorld(layout, build, ad, options);
            new Run(world).execute(ops);
          }),
          { numRuns: NUM_RUNS },
        );
      }, TIMEOUT);
    });
  });
});
