// `iommu-wasm replay FILE`: streams a binary trace back through the engine.
import { replayTrace } from '../../workload/replay.js';
import { summaryText } from '../../report/summary-text.js';
import { progressBar } from '../progress.js';

export async function replayCommand(file: string, options: { json?: boolean }): Promise<void> {
  const progress = progressBar('replay');
  const result = await replayTrace(file, { onProgress: (done, total) => progress.update(done, total) });
  progress.stop();
  const title = `replay of ${file} (${result.scenario}); IOTLB ${result.config.iotlbEntries as number} entries`;
  process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${summaryText(result, title)}\n`);
}
