// The report's tables as rows, for the CSV files and the HTML page alike, so both
// always hold the same numbers.
import type { SweepPoint } from './sweeps.js';

export interface Table {
  /** File name stem of its CSV. */
  id: string;
  title: string;
  headers: string[];
  rows: (string | number)[][];
}

export function hitRateTable(points: readonly SweepPoint[]): Table {
  return {
    id: 'hit-rate-by-iotlb-size',
    title: 'Hit rate by IOTLB size',
    headers: ['series', 'scenario', 'iotlb_entries', 'hit_rate', 'misses_per_unit', 'pte_reads_per_translation'],
    rows: points.filter((p) => p.sweep === 'iotlb').map((p) => [p.series, p.scenario, p.x, p.hitRate, p.missesPerUnit, p.pteReadsPerTranslation]),
  };
}

export function pageTableTable(points: readonly SweepPoint[]): Table {
  return {
    id: 'page-table-references',
    title: 'Page-table references',
    headers: ['configuration', 'scenario', 'pte_reads_per_walk', 'pte_reads_per_translation', 'hit_rate'],
    rows: points.filter((p) => p.sweep === 'nesting').map((p) => [p.series, p.scenario, p.pteReadsPerWalk, p.pteReadsPerTranslation, p.hitRate]),
  };
}

export function throughputTable(points: readonly SweepPoint[]): Table {
  return {
    id: 'throughput',
    title: 'Throughput (translations/s, min/median/max over the repeats)',
    headers: ['series', 'scenario', 'repeats', 'engine_min', 'engine_median', 'engine_max', 'end_to_end_min', 'end_to_end_median', 'end_to_end_max'],
    rows: points.filter((p) => p.sweep === 'throughput').map((p) => {
      const e = p.engineTranslationsPerSecondSpread ?? { min: p.engineTranslationsPerSecond, median: p.engineTranslationsPerSecond, max: p.engineTranslationsPerSecond };
      const t = p.translationsPerSecondSpread ?? { min: p.translationsPerSecond, median: p.translationsPerSecond, max: p.translationsPerSecond };
      return [p.series, p.scenario, p.repeats ?? 1, e.min, e.median, e.max, t.min, t.median, t.max];
    }),
  };
}

/** The tables that have rows. */
export function reportTables(points: readonly SweepPoint[]): Table[] {
  return [hitRateTable(points), pageTableTable(points), throughputTable(points)].filter((t) => t.rows.length > 0);
}
