// The sweeps behind the report: each point is one workload run with one machine
// configuration; points are independent, so they run in parallel on worker threads.
export interface SweepTask {
  sweep: 'iotlb' | 'nesting' | 'throughput';
  /** Series label on the chart. */
  series: string;
  scenario: string;
  overrides: Record<string, unknown>;
  /** X value (IOTLB entries for the iotlb sweep). */
  x: number | string;
}

export interface SweepPoint extends Omit<SweepTask, 'overrides'> {
  hitRate: number;
  missesPerUnit: number;
  pteReadsPerTranslation: number;
  pteReadsPerWalk: number;
  engineTranslationsPerSecond: number;
  translationsPerSecond: number;
}

export const IOTLB_WORKLOADS = ['nic-strict', 'nic-flush-queue', 'nic-pool', 'nic-pool-2m', 'storage-random', 'sva', 'sva-2m', 'vm'];
export const IOTLB_ENTRIES = [16, 64, 256, 1024, 4096, 16384];

const NESTING: [string, string, Record<string, unknown>][] = [
  ['flat 4-level, no caches', 'sva', { engine: { walkCache: false, nestedTableCache: false } }],
  ['flat 4-level, walk cache', 'sva', {}],
  ['nested 4x4, no caches', 'vm', { engine: { walkCache: false, nestedTableCache: false } }],
  ['nested 4x4, walk cache', 'vm', { engine: { nestedTableCache: false } }],
  ['nested 4x4, nested table cache', 'vm', { engine: { walkCache: false } }],
  ['nested 4x4, both caches', 'vm', {}],
  ['nested, stage 2 on 2 MiB, no caches', 'vm', { stage2PageSize: '2M', engine: { walkCache: false, nestedTableCache: false } }],
];

export function sweepTasks(steps: number): SweepTask[] {
  const tasks: SweepTask[] = [];
  for (const scenario of IOTLB_WORKLOADS) {
    for (const entries of IOTLB_ENTRIES) {
      tasks.push({ sweep: 'iotlb', series: scenario, scenario, x: entries, overrides: { steps: stepsFor(scenario, steps), engine: { iotlb: { sets: entries / 4, ways: 4 } } } });
    }
  }
  for (const [series, scenario, o] of NESTING) {
    tasks.push({ sweep: 'nesting', series, scenario, x: series, overrides: { steps: stepsFor(scenario, steps), ...o } });
  }
  for (const scenario of [...IOTLB_WORKLOADS, 'invalidation-storm', 'dma-stream']) {
    tasks.push({ sweep: 'throughput', series: scenario, scenario, x: scenario, overrides: { steps: stepsFor(scenario, steps) } });
  }
  return tasks;
}

/** Steps scaled so every workload does a similar number of translations. */
function stepsFor(scenario: string, steps: number): number {
  if (scenario === 'dma-stream') return steps * 30;
  if (scenario.startsWith('nic')) return steps * 10;
  return steps;
}
