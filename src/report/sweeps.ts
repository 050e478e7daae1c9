// The sweeps behind the report: each point is one workload run with one machine
// configuration; points are independent, so they run in parallel on worker threads.
// What is swept is configurable (SweepOptions); sweepPlan says which combinations it
// left out and why, rather than running a setting the workload would ignore.
import { checkOverrides, SCENARIOS, SCENARIO_NAMES } from '../workload/scenarios/index.js';
import { spreadOf, type Spread } from './spread.js';

export type SweepName = 'iotlb' | 'nesting' | 'throughput';
export type PageSize = '4K' | '2M';
export type UnmapInvalidation = 'leaf' | 'all-levels';

export const SWEEP_NAMES: readonly SweepName[] = ['iotlb', 'nesting', 'throughput'];
export const PAGE_SIZES: readonly PageSize[] = ['4K', '2M'];
export const UNMAP_STYLES: readonly UnmapInvalidation[] = ['leaf', 'all-levels'];

export interface SweepTask {
  sweep: SweepName;
  /** Series label on the chart: the workload, with page size and unmap style when swept. */
  series: string;
  scenario: string;
  overrides: Record<string, unknown>;
  /** X value (IOTLB entries for the iotlb sweep). */
  x: number | string;
  /** Which repeat of a throughput point this is (0-based); merged by mergeRepeats. */
  repeat?: number;
}

export interface SweepPoint extends Omit<SweepTask, 'overrides' | 'repeat'> {
  hitRate: number;
  missesPerUnit: number;
  pteReadsPerTranslation: number;
  pteReadsPerWalk: number;
  /** The median over the repeats for throughput points. */
  engineTranslationsPerSecond: number;
  translationsPerSecond: number;
  /** Throughput points: min/median/max over the repeats (timing varies; the counters do not). */
  repeats?: number;
  engineTranslationsPerSecondSpread?: Spread;
  translationsPerSecondSpread?: Spread;
}

export interface SweepOptions {
  /** Base steps per point (NIC points run 10x, dma-stream 30x). */
  steps: number;
  /** Workloads of the iotlb and throughput sweeps (default: IOTLB_WORKLOADS, plus invalidation-storm and dma-stream for throughput). */
  workloads?: readonly string[];
  /** IOTLB sizes of the iotlb sweep: powers of two, each at least `ways` (default IOTLB_ENTRIES). */
  iotlbEntries?: readonly number[];
  /** IOTLB associativity of the iotlb sweep (default 4). */
  ways?: number;
  /** Page sizes of the iotlb sweep; each workload that backs buffers with it gets a series per size (default: each workload's own). */
  pageSizes?: readonly PageSize[];
  /** Unmap invalidation styles, a series each for the workloads that invalidate per unmap (default: each workload's own). */
  unmapInvalidation?: readonly UnmapInvalidation[];
  /** Which sweeps (default all). */
  sweeps?: readonly SweepName[];
  /** Runs per throughput point (default 3). */
  repeats?: number;
}

export interface SweepPlan {
  tasks: SweepTask[];
  /** Combinations left out, each with why (a page size the workload would not use). */
  skipped: string[];
}

export const IOTLB_WORKLOADS = ['nic-strict', 'nic-flush-queue', 'nic-pool', 'nic-pool-2m', 'storage-random', 'sva', 'sva-2m', 'vm'];
export const IOTLB_ENTRIES = [16, 64, 256, 1024, 4096, 16384];
export const DEFAULT_WAYS = 4;
export const DEFAULT_REPEATS = 3;

const NESTING: [string, string, Record<string, unknown>][] = [
  ['flat 4-level, no caches', 'sva', { engine: { walkCache: false, nestedTableCache: false } }],
  ['flat 4-level, walk cache', 'sva', {}],
  ['nested 4x4, no caches', 'vm', { engine: { walkCache: false, nestedTableCache: false } }],
  ['nested 4x4, walk cache', 'vm', { engine: { nestedTableCache: false } }],
  ['nested 4x4, nested table cache', 'vm', { engine: { walkCache: false } }],
  ['nested 4x4, both caches', 'vm', {}],
  ['nested, stage 2 on 2 MiB, no caches', 'vm', { stage2PageSize: '2M', engine: { walkCache: false, nestedTableCache: false } }],
];

/** The tasks of sweepPlan; a number is the base steps with every other option at its default. */
export function sweepTasks(options: SweepOptions | number): SweepTask[] {
  return sweepPlan(typeof options === 'number' ? { steps: options } : options).tasks;
}

export function sweepPlan(o: SweepOptions): SweepPlan {
  const ways = o.ways ?? DEFAULT_WAYS;
  const entries = o.iotlbEntries ?? IOTLB_ENTRIES;
  const sweeps = o.sweeps ?? SWEEP_NAMES;
  const repeats = o.repeats ?? DEFAULT_REPEATS;
  checkSweepOptions(o.steps, entries, ways, repeats, o.workloads);
  const tasks: SweepTask[] = [];
  const skipped: string[] = [];
  if (sweeps.includes('iotlb')) {
    for (const v of variants(o.workloads ?? IOTLB_WORKLOADS, o.pageSizes, o.unmapInvalidation, skipped)) {
      for (const n of entries) {
        tasks.push({ sweep: 'iotlb', series: v.series, scenario: v.scenario, x: n, overrides: { ...v.overrides, steps: stepsFor(v.scenario, o.steps), engine: { iotlb: { sets: n / ways, ways } } } });
      }
    }
  }
  if (sweeps.includes('nesting')) {
    for (const [series, scenario, overrides] of NESTING) {
      tasks.push({ sweep: 'nesting', series, scenario, x: series, overrides: { steps: stepsFor(scenario, o.steps), ...overrides } });
    }
  }
  if (sweeps.includes('throughput')) {
    // Page sizes belong to the iotlb sweep; throughput runs each workload as it is, per unmap style.
    for (const v of variants(o.workloads ?? [...IOTLB_WORKLOADS, 'invalidation-storm', 'dma-stream'], undefined, o.unmapInvalidation, skipped)) {
      for (let repeat = 0; repeat < repeats; repeat++) {
        tasks.push({ sweep: 'throughput', series: v.series, scenario: v.scenario, x: v.series, repeat, overrides: { ...v.overrides, steps: stepsFor(v.scenario, o.steps) } });
      }
    }
  }
  return { tasks, skipped: [...new Set(skipped)] };
}

interface Variant { series: string; scenario: string; overrides: Record<string, unknown> }

/** Each workload once per page size it uses and per unmap style it applies; the rest into `skipped`. */
function variants(workloads: readonly string[], pageSizes: readonly PageSize[] | undefined, styles: readonly UnmapInvalidation[] | undefined, skipped: string[]): Variant[] {
  const out: Variant[] = [];
  for (const scenario of workloads) {
    for (const pageSize of pageSizes ?? [undefined]) {
      if (pageSize !== undefined) {
        const why = refusal(scenario, { pageSize });
        if (why) { skipped.push(`${scenario} at page size ${pageSize}: ${why}`); continue; }
      }
      const perStyle = styles && invalidatesPerUnmap(scenario) ? styles : [undefined];
      for (const style of perStyle) {
        out.push({
          scenario,
          series: [scenario, pageSize, style].filter((part) => part !== undefined).join(' '),
          overrides: { ...(pageSize ? { pageSize } : {}), ...(style ? { unmapInvalidation: style } : {}) },
        });
      }
    }
  }
  return out;
}

/**
 * Only workloads that invalidate each unmapped range read the unmap style: NIC rings
 * in strict mode and storage mapped per I/O. Flush queues invalidate a whole domain
 * and pools never unmap, so a style series there would repeat the same numbers.
 */
export function invalidatesPerUnmap(scenario: string): boolean {
  const d = SCENARIOS[scenario]?.defaults;
  return d !== undefined && (d.mode === 'strict' || d.mapping === 'per-io');
}

function refusal(scenario: string, overrides: Record<string, unknown>): string | undefined {
  try {
    checkOverrides(scenario, overrides);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function checkSweepOptions(steps: number, entries: readonly number[], ways: number, repeats: number, workloads: readonly string[] | undefined): void {
  if (!Number.isSafeInteger(steps) || steps < 1) throw new RangeError(`steps must be a whole number >= 1, got ${steps}`);
  if (!Number.isSafeInteger(ways) || ways < 1 || ways > 64) throw new RangeError(`ways must be a whole number from 1 to 64, got ${ways}`);
  if (!Number.isSafeInteger(repeats) || repeats < 1) throw new RangeError(`repeats must be a whole number >= 1, got ${repeats}`);
  for (const n of entries) {
    const sets = n / ways;
    if (!(Number.isSafeInteger(sets) && sets >= 1 && (sets & (sets - 1)) === 0)) {
      throw new RangeError(`IOTLB entries ${n} with ${ways} ways: entries must be ${ways} times a power of two (${ways}, ${ways * 2}, ${ways * 4}, ...)`);
    }
  }
  for (const w of workloads ?? []) {
    if (!SCENARIO_NAMES.includes(w)) throw new RangeError(`unknown workload "${w}"; known: ${SCENARIO_NAMES.join(', ')}`);
  }
}

/** Steps scaled so every workload does a similar number of translations. */
function stepsFor(scenario: string, steps: number): number {
  if (scenario === 'dma-stream') return steps * 30;
  if (scenario.startsWith('nic') || scenario.startsWith('guest-nic')) return steps * 10;
  return steps;
}

/**
 * One point per throughput series from its repeats: throughputs as min/median/max
 * (the headline value is the median); the counters are the same in every repeat (fixed
 * seed), so the first repeat's are kept. Other points pass through unchanged.
 */
export function mergeRepeats(points: readonly SweepPoint[]): SweepPoint[] {
  const out: SweepPoint[] = [];
  const groups = new Map<string, SweepPoint[]>();
  for (const p of points) {
    if (p.sweep !== 'throughput') { out.push(p); continue; }
    const key = `${p.series}\u0000${String(p.x)}`;
    const group = groups.get(key);
    if (group) group.push(p);
    else { const g = [p]; groups.set(key, g); out.push(p); }
  }
  return out.map((p) => {
    const group = p.sweep === 'throughput' ? groups.get(`${p.series}\u0000${String(p.x)}`) : undefined;
    if (!group) return p;
    const engine = spreadOf(group.map((q) => q.engineTranslationsPerSecond));
    const endToEnd = spreadOf(group.map((q) => q.translationsPerSecond));
    return { ...p, engineTranslationsPerSecond: engine.median, translationsPerSecond: endToEnd.median, repeats: group.length, engineTranslationsPerSecondSpread: engine, translationsPerSecondSpread: endToEnd };
  });
}
