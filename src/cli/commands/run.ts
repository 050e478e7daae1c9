// `iommu-wasm run [scenario]`: runs a built-in workload on the engine, optionally
// recording it as a binary trace, and prints its summary.
import { createScenario, SCENARIOS } from '../../workload/scenarios/index.js';
import { runWorkload } from '../../workload/node.js';
import { summaryText } from '../../report/summary-text.js';
import { progressBar } from '../progress.js';
import { scenarioOverrides, type ScenarioOptions } from './run-options.js';

export interface RunOptions extends ScenarioOptions {
  json?: boolean;
  record?: string;
}

export async function runCommand(scenario: string | undefined, options: RunOptions): Promise<void> {
  const name = scenario ?? 'dma-stream';
  const workload = createScenario(name, scenarioOverrides(options));
  const progress = progressBar(name);
  const result = await runWorkload(workload, {
    ...(options.record ? { record: options.record } : {}),
    onProgress: (done, total) => progress.update(done, total),
  });
  progress.stop();
  const title = `scenario ${name}: ${SCENARIOS[name]!.describe}; IOTLB ${result.config.iotlbEntries as number} entries${options.record ? `; recorded to ${options.record}` : ''}`;
  process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${summaryText(result, title)}\n`);
}
