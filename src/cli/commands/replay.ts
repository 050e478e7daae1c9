// `iommu-wasm replay FILE`: streams a binary trace back through the engine, or with
// `--via iommufd` drives one IOAS through the syscall surface (a binary trace or
// Linux ftrace text, told apart by the binary trace's magic).
import { open } from 'node:fs/promises';
import { BinaryTraceReader, FtraceImporter, fileSource, ftraceRecords, MAGIC, type TraceRecord } from '../../trace/node.js';
import { iommufdSummaryText, replayViaIommufd } from '../../workload/replay-iommufd.js';
import { replayTrace } from '../../workload/replay.js';
import { summaryText } from '../../report/summary-text.js';
import { progressBar } from '../progress.js';

export async function replayCommand(file: string, options: { json?: boolean; via?: string }): Promise<void> {
  if (options.via === 'iommufd') return replayIommufdCommand(file, options);
  if (options.via !== undefined && options.via !== 'engine') throw new Error(`--via must be engine or iommufd, got ${options.via}`);
  const progress = progressBar('replay');
  const result = await replayTrace(file, { onProgress: (done, total) => progress.update(done, total) });
  progress.stop();
  const title = `replay of ${file} (${result.scenario}); IOTLB ${result.config.iotlbEntries as number} entries`;
  process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${summaryText(result, title)}\n`);
}

async function isBinaryTrace(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const head = new Uint8Array(MAGIC.length);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return bytesRead === MAGIC.length && head.every((b, i) => b === MAGIC[i]);
  } finally {
    await fh.close();
  }
}

export async function replayIommufdCommand(file: string, options: { json?: boolean }): Promise<void> {
  let records: AsyncIterable<TraceRecord>;
  let importer: FtraceImporter | undefined;
  if (await isBinaryTrace(file)) {
    records = (await BinaryTraceReader.open(fileSource(file))).records();
  } else {
    importer = new FtraceImporter();
    records = ftraceRecords(fileSource(file), importer);
  }
  const { summary } = await replayViaIommufd(records);
  const source = importer ? { format: 'ftrace', ftrace: importer.stats, warnings: importer.warnings.length } : { format: 'binary' };
  const title = `replay of ${file} via iommufd (${source.format}): one IOAS, one mock device`;
  process.stdout.write(options.json ? `${JSON.stringify({ file, ...source, ...summary }, null, 2)}\n` : `${iommufdSummaryText(summary, title)}\n`);
}
