// What the gate measures: fixed scenarios with fixed seeds and step counts, so the
// counters are a deterministic function of the code (the engine and the generators).
import { createScenario } from '../workload/scenarios/index.js';
import { runWorkload } from '../workload/runner.js';
import type { CounterName } from '../engine/index.js';

export interface GateScenario {
  name: string;
  scenario: string;
  overrides: Record<string, unknown>;
}

export const GATE_SCENARIOS: GateScenario[] = [
  { name: 'nic-strict', scenario: 'nic-strict', overrides: { steps: 5000 } },
  { name: 'nic-strict-all-levels', scenario: 'nic-strict', overrides: { steps: 5000, unmapInvalidation: 'all-levels' } },
  { name: 'nic-flush-queue', scenario: 'nic-flush-queue', overrides: { steps: 5000 } },
  { name: 'nic-pool', scenario: 'nic-pool', overrides: { steps: 5000 } },
  { name: 'nic-pool-2m', scenario: 'nic-pool-2m', overrides: { steps: 5000 } },
  { name: 'guest-nic-flush-queue', scenario: 'guest-nic-flush-queue', overrides: { steps: 2000 } },
  { name: 'storage-random', scenario: 'storage-random', overrides: { steps: 500 } },
  { name: 'storage-persistent-2m', scenario: 'storage-sequential', overrides: { steps: 500, mapping: 'persistent', pageSize: '2M' } },
  { name: 'sva', scenario: 'sva', overrides: { steps: 500 } },
  { name: 'sva-2m', scenario: 'sva-2m', overrides: { steps: 500 } },
  { name: 'vm', scenario: 'vm', overrides: { steps: 500 } },
  { name: 'vm-nocache', scenario: 'vm', overrides: { steps: 200, engine: { walkCache: false, nestedTableCache: false } } },
  { name: 'invalidation-storm', scenario: 'invalidation-storm', overrides: { steps: 300 } },
  { name: 'dma-stream', scenario: 'dma-stream', overrides: { steps: 200_000 } },
];

/** Counters the gate compares; the rest follow from these or do not describe performance. */
export const GATED_COUNTERS: CounterName[] = [
  'lookups', 'hits', 'misses', 'walks', 'pteReads', 'walkCacheHits', 'walkCacheMisses',
  'nestedTableHits', 'nestedTableMisses', 'stage2Walks', 'iotlbEvictions', 'faults',
  'invProbes', 'invSweeps', 'invDropped',
];

export type CounterSet = Record<string, Record<string, number>>;

export async function collectCounters(onScenario?: (name: string, i: number, total: number) => void, only?: string[]): Promise<CounterSet> {
  const out: CounterSet = {};
  const list = only ? GATE_SCENARIOS.filter((s) => only.includes(s.name)) : GATE_SCENARIOS;
  for (const [i, s] of list.entries()) {
    onScenario?.(s.name, i, list.length);
    const r = await runWorkload(createScenario(s.scenario, s.overrides));
    out[s.name] = Object.fromEntries(GATED_COUNTERS.map((k) => [k, r.counters[k]]));
  }
  return out;
}
