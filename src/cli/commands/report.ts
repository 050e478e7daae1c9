// `iommu-wasm report`: sweeps on worker threads, then an HTML page with SVG and PNG
// charts, report.json and a CSV per table. `--compare A B` instead reads two
// report.json files and prints what changed beyond the noise.
import { commandLine } from '../../report/environment.js';
import type { PageSize, SweepName, UnmapInvalidation } from '../../report/sweeps.js';
import { progressBar } from '../progress.js';

export interface ReportCommandOptions {
  out: string;
  /** Checked by the option parsers (src/cli/main.ts): a whole number >= 1. */
  steps: number;
  /** Checked by the option parsers: a whole number from 1 to 256. */
  threads?: number;
  /** The sweep set; each checked by its option parser (src/cli/list-options.ts). */
  repeats?: number;
  workloads?: string[];
  iotlbEntries?: number[];
  ways?: number;
  pageSizes?: PageSize[];
  sweeps?: SweepName[];
  unmapInvalidation?: UnmapInvalidation[];
  compare?: string[];
  format?: 'text' | 'json' | 'csv';
}

/** The part of a commander Command used here: a usage error, one line, exit 2. */
interface UsageErrors {
  error(message: string, options?: { exitCode?: number; code?: string }): never;
}

export async function reportCommand(o: ReportCommandOptions, command?: UsageErrors): Promise<void> {
  const usage = (message: string): never => {
    if (command) command.error(`error: ${message}`, { exitCode: 2, code: 'iommu-wasm.usage' });
    throw new Error(message);
  };
  if (o.compare) return compareCommand(o.compare, o.format ?? 'text', usage);
  if (o.format) usage('--format applies to --compare; a report writes report.json and a CSV per table anyway');
  const ways = o.ways ?? 4;
  const small = o.iotlbEntries?.filter((n) => n < ways || (n / ways & (n / ways - 1)) !== 0);
  if (small?.length) usage(`--iotlb-entries ${small.join(',')}: each must be --ways (${ways}) times a power of two, e.g. ${ways * 4},${ways * 16}`);
  const progress = progressBar('report');
  // The charts' libraries load only here: --compare needs none of them.
  const { writeReport } = await import('../../report/report.js');
  const files = await writeReport({
    outDir: o.out,
    steps: o.steps,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(o.repeats !== undefined ? { repeats: o.repeats } : {}),
    ...(o.workloads ? { workloads: o.workloads } : {}),
    ...(o.iotlbEntries ? { iotlbEntries: o.iotlbEntries } : {}),
    ...(o.ways !== undefined ? { ways: o.ways } : {}),
    ...(o.pageSizes ? { pageSizes: o.pageSizes } : {}),
    ...(o.sweeps ? { sweeps: o.sweeps } : {}),
    ...(o.unmapInvalidation ? { unmapInvalidation: o.unmapInvalidation } : {}),
    command: commandLine(process.argv.slice(2).filter((a) => a !== '--verbose')),
    onProgress: (done, total) => progress.update(done, total),
  });
  progress.stop();
  for (const why of files.skipped) process.stderr.write(`report: skipped ${why}\n`);
  process.stdout.write(`${[files.html, ...files.svgs, ...files.pngs, files.data, ...files.csvs].join('\n')}\n`);
}

async function compareCommand(files: string[], format: 'text' | 'json' | 'csv', usage: (message: string) => never): Promise<void> {
  if (files.length !== 2) usage(`--compare takes two report.json files (A, then B), got ${files.length}`);
  const { readReportFile, ReportFileError } = await import('../../report/report-file.js');
  const { compareReports, comparisonCsv, comparisonText, environmentDifferences } = await import('../../report/compare.js');
  const [a, b] = files.map((f) => {
    try {
      return readReportFile(f);
    } catch (error) {
      if (error instanceof ReportFileError) usage(error.message);
      throw error;
    }
  }) as [ReturnType<typeof readReportFile>, ReturnType<typeof readReportFile>];
  const rows = compareReports(a.points, b.points);
  // Informative, not a gate: the exit code stays 0 whatever moved (iommu-wasm gate fails on regressions).
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify({ a: { file: files[0], environment: a.environment ?? null }, b: { file: files[1], environment: b.environment ?? null }, environmentDifferences: environmentDifferences(a.environment, b.environment), rows }, null, 2)}\n`);
  } else if (format === 'csv') process.stdout.write(comparisonCsv(rows));
  else process.stdout.write(`${comparisonText(rows, a.environment, b.environment)}\n`);
}
