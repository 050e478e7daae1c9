// Invalidation storms: many domains doing DMA while a hypervisor or a buggy driver
// floods the IOMMU with invalidations of every kind (ranges of every size, with and
// without the leaf-only hint, whole domains, groups, everything). What it measures:
// how many entries each kind drops, ranged probes against sweeps, and how the hit
// rate survives.
import { Rng } from '../rng.js';
import type { OpSink } from '../ops.js';
import { COMMON_DEFAULTS, PAGE_BYTES, withDefaults, type CommonParams } from '../params.js';
import { RW, TopologyBuilder, addDomain, setupDomain, type Domain } from '../domain.js';
import { randomRuns, type AccessPattern } from './random-access.js';
import type { Workload } from '../workload.js';
import type { JsonValue } from '../../trace/records.js';

export interface StormParams extends CommonParams, AccessPattern {
  domains: number;
  groups: number;
  workingSetBytes: number;
  invalidationsPerStep: number;
  /** Relative weights of range, space, group and all invalidations. */
  weights: { range: number; space: number; group: number; all: number };
  guestRamBytes: number;
}

export const STORM_DEFAULTS: StormParams = {
  ...COMMON_DEFAULTS,
  steps: 2000,
  domains: 8,
  groups: 4,
  workingSetBytes: 4 << 20,
  accessesPerStep: 64,
  runBytes: 256,
  writeShare: 0.3,
  invalidationsPerStep: 8,
  weights: { range: 80, space: 12, group: 6, all: 2 },
  guestRamBytes: 256 << 20,
};

const IOVA_BASE = 0x4000_0000;

export function invalidationStorm(name: string, overrides: Partial<StormParams> = {}): Workload {
  const p = withDefaults(STORM_DEFAULTS, overrides);
  const rng = new Rng(p.seed);
  const t = new TopologyBuilder(p);
  const domains: Domain[] = [];
  for (let d = 0; d < p.domains; d++) {
    domains.push(addDomain(t, p, p.guestRamBytes, d % p.groups));
    t.bind(d, domains[d]!.space);
  }
  const w = p.weights;
  const total = w.range + w.space + w.group + w.all;
  const page = PAGE_BYTES[p.pageSize];
  const size = Math.ceil(p.workingSetBytes / page) * page;

  const invalidate = (sink: OpSink): void => {
    const d = domains[rng.below(domains.length)]!;
    let pick = rng.below(total);
    if ((pick -= w.range) < 0) {
      // 4 KiB to 4 MiB, page aligned inside the working set.
      const bytes = Math.min(size, 4096 * 2 ** rng.below(11));
      const at = IOVA_BASE + rng.below(Math.max(1, (size - bytes) / 4096 + 1)) * 4096;
      sink.invalidateRange(d.space, at, bytes, rng.below(2) === 0);
    } else if ((pick -= w.space) < 0) sink.invalidateSpace(d.space);
    else if ((pick -= w.group) < 0) sink.invalidateGroup(d.group);
    else sink.invalidateAll();
  };

  return {
    name,
    unit: 'burst',
    steps: p.steps,
    topology: t.build(),
    params: p as unknown as JsonValue,
    setup(sink: OpSink) {
      for (const d of domains) {
        setupDomain(sink, d);
        sink.map(d.space, IOVA_BASE, d.backing.take(size, IOVA_BASE), size, RW);
      }
    },
    step(sink: OpSink) {
      for (let i = 0; i < p.accessesPerStep; i++) {
        const d = rng.below(domains.length);
        randomRuns(sink, rng, p, d, -1, IOVA_BASE, size, 1);
      }
      for (let i = 0; i < p.invalidationsPerStep; i++) invalidate(sink);
    },
    finish() {},
  };
}
