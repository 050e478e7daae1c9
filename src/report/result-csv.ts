// A run's or a replay's result as CSV: every number and name in the result, by its
// dotted path (hitRate, hitRateBySize.2M, counters.walks, replay.failed...), so a
// spreadsheet gets the full precision the text table rounds away.
import { toCsv } from './csv.js';

type Cell = string | number;

/** [path, value] for every number, string and boolean under `value` (arrays by index). */
export function flatten(value: unknown, prefix = ''): [string, Cell][] {
  if (typeof value === 'number' || typeof value === 'string') return [[prefix, value]];
  if (typeof value === 'boolean') return [[prefix, String(value)]];
  if (typeof value === 'bigint') return [[prefix, value.toString()]];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => flatten(inner, prefix ? `${prefix}.${key}` : key));
}

/** One result: a metric,value line per field. */
export function resultCsv(result: object): string {
  return toCsv(['metric', 'value'], flatten(result));
}

/**
 * Several results side by side (a sweep): one row per result, one column per field
 * any of them has; a field a result lacks is an empty cell.
 */
export function resultsCsv(labelHeader: string, rows: { label: string; result: object }[]): string {
  const flat = rows.map((r) => new Map(flatten(r.result)));
  const columns = [...new Set(flat.flatMap((m) => [...m.keys()]))];
  return toCsv([labelHeader, ...columns], rows.map((r, i) => [r.label, ...columns.map((c) => flat[i]!.get(c) ?? '')]));
}
