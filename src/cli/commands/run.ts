// `iommu-wasm run [scenario]`: runs a built-in workload on the engine, optionally
// recording it as a binary trace, and prints its summary. `--describe` lists the
// scenario's parameters instead.
import { createScenario, SCENARIOS } from '../../workload/scenarios/index.js';
import { ParamError } from '../../workload/params.js';
import { recordFormFor, runWorkload } from '../../workload/node.js';
import { summaryText } from '../../report/summary-text.js';
import { environment } from '../../report/environment.js';
import { resultCsv } from '../../report/result-csv.js';
import { progressBar } from '../progress.js';
import { describeScenario, optionFor, scenarioOverrides, type ScenarioOptions } from './run-options.js';

export interface RunOptions extends ScenarioOptions {
  /** Alias of format json. */
  json?: boolean;
  format?: 'text' | 'json' | 'csv';
  record?: string;
  recordForm?: 'binary' | 'ndjson';
  describe?: boolean;
}

/** The part of a commander Command used here: a usage error, one line, exit 2. */
interface UsageErrors {
  error(message: string, options?: { exitCode?: number; code?: string }): never;
}

export async function runCommand(scenario: string | undefined, options: RunOptions, command?: UsageErrors): Promise<void> {
  const name = scenario ?? 'dma-stream';
  if (options.describe) {
    process.stdout.write(`${describeScenario(name, SCENARIOS[name]!.describe)}\n`);
    return;
  }
  if (options.recordForm && !options.record) {
    if (command) command.error('error: --record-form needs --record FILE.', { exitCode: 2, code: 'iommu-wasm.usage' });
    throw new Error('--record-form needs --record FILE.');
  }
  let workload;
  try {
    workload = createScenario(name, scenarioOverrides(options));
  } catch (error) {
    if (!(error instanceof ParamError)) throw error;
    const message = `${optionFor(error.param, options)}: ${error.message}`;
    if (command) command.error(`error: ${message}`, { exitCode: 2, code: 'iommu-wasm.usage' });
    throw new Error(message);
  }
  const progress = progressBar(name);
  const result = await runWorkload(workload, {
    ...(options.record ? { record: options.record } : {}),
    ...(options.recordForm ? { recordForm: options.recordForm } : {}),
    onProgress: (done, total) => progress.update(done, total),
  });
  progress.stop();
  const title = `scenario ${name}: ${SCENARIOS[name]!.describe}; IOTLB ${result.config.iotlbEntries as number} entries${options.record ? `; recorded to ${options.record} (${options.recordForm ?? recordFormFor(options.record)})` : ''}`;
  const format = options.format ?? (options.json ? 'json' : 'text');
  process.stdout.write(
    format === 'json' ? `${JSON.stringify({ environment: environment(), ...result }, null, 2)}\n`
      : format === 'csv' ? resultCsv(result)
        : `${summaryText(result, title)}\n`,
  );
}
