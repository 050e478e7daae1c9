// The readable summary `run` and `replay` print.
import type { RunResult } from '../workload/result.js';
import { table, fixed, percent, millions } from './text-table.js';

export function summaryText(r: RunResult, title: string): string {
  const c = r.counters;
  const inv = r.invalidations;
  return [
    title,
    '',
    table(['metric', 'value'], [
      [`${r.unit}s`, String(r.units)],
      ['translations', String(r.translations)],
      ['throughput (end to end)', `${millions(r.translationsPerSecond)} translations/s`],
      ['throughput (engine batches)', `${millions(r.engineTranslationsPerSecond)} translations/s`],
      ['IOTLB hit rate', percent(r.hitRate)],
      ['  hits on 4 KiB pages', percent(r.hitRateBySize['4K'])],
      ['  hits on 2 MiB pages', percent(r.hitRateBySize['2M'])],
      ['  hits on 1 GiB pages', percent(r.hitRateBySize['1G'])],
      [`IOTLB misses per ${r.unit}`, fixed(r.missesPerUnit, 3)],
      ['walks per translation', fixed(r.walksPerTranslation, 4)],
      ['page-table reads per translation', fixed(r.pteReadsPerTranslation, 4)],
      ['page-table reads per walk', fixed(r.pteReadsPerWalk, 2)],
      ['walk-cache hits / misses', `${c.walkCacheHits} / ${c.walkCacheMisses}`],
      ['nested table-cache hits / misses', `${c.nestedTableHits} / ${c.nestedTableMisses}`],
      ['invalidations range/space/group/all', `${inv.range}/${inv.space}/${inv.group}/${inv.all}`],
      ['IOTLB entries dropped by invalidation', String(inv.entriesDropped)],
      ['IOTLB evictions', String(c.iotlbEvictions)],
      ['records map/unmap/invalidate/dma', `${r.records.map}/${r.records.unmap}/${r.records.invalidate}/${r.records.dma}`],
      ['faults', String(r.faults)],
    ]),
  ].join('\n');
}
