// `iommu-wasm bench --suite core`: each case on the Wasm engine and on the plain
// TypeScript peer in one process; the ratio is the number to trust on a noisy machine.
import { runSuite } from '../../../bench/run-suite.js';
import { DEFAULT_ROUNDS } from '../../../bench/harness.js';
import { progressBar } from '../progress.js';
import { environment } from '../../report/environment.js';
import { benchOutput, type OutputFormat } from './bench-output.js';

export interface BenchOptions {
  suite: string;
  case?: string[];
  /** Milliseconds (checked by the option parser; a string when called directly). */
  time?: string | number;
  rounds?: string | number;
  /** Alias of format json. */
  json?: boolean;
  format?: OutputFormat;
  native?: boolean;
}

export async function benchCommand(options: BenchOptions): Promise<void> {
  const time = options.time === undefined ? 500 : Number(options.time);
  if (!Number.isFinite(time) || time <= 0) throw new Error(`--time must be a positive number of milliseconds, got "${options.time}"`);
  const rounds = options.rounds === undefined ? DEFAULT_ROUNDS : Number(options.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive whole number, got "${options.rounds}"`);
  const format: OutputFormat = options.format ?? (options.json ? 'json' : 'text');
  const progress = progressBar(`bench ${options.suite}`);
  const results = await runSuite(options.suite, {
    time,
    rounds,
    warmupTime: Math.min(250, time / 2),
    native: options.native !== false,
    ...(options.case ? { only: options.case } : {}),
    onCaseStart: (name, i, total) => {
      progress.update(i, total);
      if (!process.stderr.isTTY && format === 'text') process.stderr.write(`running ${name} (${i + 1}/${total})\n`);
    },
  });
  progress.stop();
  process.stdout.write(benchOutput(results, format, environment()));
}
