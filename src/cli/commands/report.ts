// `iommu-wasm report`: sweeps on worker threads, then an HTML page with SVG and PNG charts.
import { writeReport } from '../../report/report.js';
import { progressBar } from '../progress.js';

export interface ReportCommandOptions {
  out: string;
  /** Checked by the option parsers (src/cli/main.ts): a whole number >= 1. */
  steps: number;
  /** Checked by the option parsers: a whole number from 1 to 256. */
  threads?: number;
}

export async function reportCommand(o: ReportCommandOptions): Promise<void> {
  const progress = progressBar('report');
  const files = await writeReport({
    outDir: o.out,
    steps: o.steps,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    command: `iommu-wasm report --out ${o.out} --steps ${o.steps}${o.threads !== undefined ? ` --threads ${o.threads}` : ''}`,
    onProgress: (done, total) => progress.update(done, total),
  });
  progress.stop();
  process.stdout.write(`${[files.html, ...files.svgs, ...files.pngs, files.data].join('\n')}\n`);
}
