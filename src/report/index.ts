// Public surface of the report layer (Node). Package subpath `iommu-wasm/report`.
// The text summary, the sweep plan and the HTML page need nothing beyond this
// package; writeReport renders charts and runs worker threads with the optional peers
// vega, vega-lite, @resvg/resvg-js and piscina, loaded when it is called.
import { PEERS, requirePeers } from '../peers/optional-peers.js';
import type { ReportFiles, ReportOptions } from './report.js';

export { summaryText } from './summary-text.js';
export * from './sweeps.js';
export { reportHtml } from './html.js';
export { environment, commandLine, type Environment } from './environment.js';
export { toCsv } from './csv.js';
export { packageVersion } from './package-info.js';
export type { ReportData, ReportFiles, ReportOptions } from './report.js';
export { spreadOf, relativeSpread, rangesDisjoint, type Spread } from './spread.js';

/** Runs the sweeps on worker threads and writes report.html with SVG and PNG charts to `outDir`. */
export async function writeReport(options: ReportOptions): Promise<ReportFiles> {
  await requirePeers('writeReport (iommu-wasm/report)', PEERS.report);
  const report = await import('./report.js');
  return report.writeReport(options);
}
export { flatten, resultCsv, resultsCsv } from './result-csv.js';
