// `iommu-wasm report`: sweeps on worker threads, then an HTML page with SVG and PNG charts.
import { writeReport } from '../../report/report.js';
import { progressBar } from '../progress.js';
import { positiveInteger } from './run-options.js';

export interface ReportCommandOptions {
  out: string;
  steps: string;
  threads?: string;
}

export async function reportCommand(o: ReportCommandOptions): Promise<void> {
  const progress = progressBar('report');
  const files = await writeReport({
    outDir: o.out,
    steps: positiveInteger(o.steps, 'steps'),
    ...(o.threads ? { threads: positiveInteger(o.threads, 'threads') } : {}),
    command: `iommu-wasm report --out ${o.out} --steps ${o.steps}${o.threads ? ` --threads ${o.threads}` : ''}`,
    onProgress: (done, total) => progress.update(done, total),
  });
  progress.stop();
  process.stdout.write(`${[files.html, ...files.svgs, ...files.pngs, files.data].join('\n')}\n`);
}
