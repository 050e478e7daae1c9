// The summary of a run or a replay: what the engine counted, normalised per
// translation and per unit of work, plus wall-clock throughput.
import type { Counters } from '../engine/index.js';

export interface RunResult {
  scenario: string;
  unit: string;
  units: number;
  /** Device requests translated. */
  translations: number;
  records: { map: number; unmap: number; invalidate: number; dma: number };
  seconds: number;
  /** Translations per second of wall-clock time, generation included. */
  translationsPerSecond: number;
  /** Translations per second spent inside the engine's batch translation. */
  engineTranslationsPerSecond: number;
  hitRate: number;
  /** Share of lookups that hit an entry of each page size. */
  hitRateBySize: { '4K': number; '2M': number; '1G': number };
  missesPerUnit: number;
  walksPerTranslation: number;
  pteReadsPerTranslation: number;
  pteReadsPerWalk: number;
  invalidations: { range: number; space: number; group: number; all: number; entriesDropped: number };
  faults: number;
  counters: Counters;
  config: Record<string, unknown>;
}

export interface RunTotals {
  scenario: string;
  unit: string;
  units: number;
  translations: number;
  faults: number;
  records: RunResult['records'];
  seconds: number;
  engineSeconds: number;
  counters: Counters;
  config: Record<string, unknown>;
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

export function summarise(t: RunTotals): RunResult {
  const c = t.counters;
  return {
    scenario: t.scenario,
    unit: t.unit,
    units: t.units,
    translations: t.translations,
    records: t.records,
    seconds: t.seconds,
    translationsPerSecond: ratio(t.translations, t.seconds),
    engineTranslationsPerSecond: ratio(t.translations, t.engineSeconds),
    hitRate: ratio(c.hits, c.lookups),
    hitRateBySize: { '4K': ratio(c.hits4K, c.lookups), '2M': ratio(c.hits2M, c.lookups), '1G': ratio(c.hits1G, c.lookups) },
    missesPerUnit: ratio(c.misses, t.units),
    walksPerTranslation: ratio(c.walks, t.translations),
    pteReadsPerTranslation: ratio(c.pteReads, t.translations),
    pteReadsPerWalk: ratio(c.pteReads, c.walks),
    invalidations: { range: c.invRange, space: c.invSpace, group: c.invGroup, all: c.invAll, entriesDropped: c.invDropped },
    faults: t.faults,
    counters: c,
    config: t.config,
  };
}
