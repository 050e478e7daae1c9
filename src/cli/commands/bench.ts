// `iommu-wasm bench --suite core`: each case on the Wasm engine and on the plain
// TypeScript peer in one process; the ratio is the number to trust on a noisy machine.
import { runSuite } from '../../../bench/run-suite.js';
import { DEFAULT_ROUNDS, type CaseResult } from '../../../bench/harness.js';
import { progressBar } from '../progress.js';
import { table, fixed } from '../../report/text-table.js';

export interface BenchOptions {
  suite: string;
  case?: string[];
  time?: string;
  rounds?: string;
  json?: boolean;
  native?: boolean;
}

export async function benchCommand(options: BenchOptions): Promise<void> {
  const time = options.time === undefined ? 500 : Number(options.time);
  if (!Number.isFinite(time) || time <= 0) throw new Error(`--time must be a positive number of milliseconds, got "${options.time}"`);
  const rounds = options.rounds === undefined ? DEFAULT_ROUNDS : Number(options.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive whole number, got "${options.rounds}"`);
  const progress = progressBar(`bench ${options.suite}`);
  const results = await runSuite(options.suite, {
    time,
    rounds,
    warmupTime: Math.min(250, time / 2),
    native: options.native !== false,
    ...(options.case ? { only: options.case } : {}),
    onCaseStart: (name, i, total) => {
      progress.update(i, total);
      if (!process.stderr.isTTY && !options.json) process.stderr.write(`running ${name} (${i + 1}/${total})\n`);
    },
  });
  progress.stop();
  process.stdout.write(options.json ? `${JSON.stringify(results.map(jsonRecord), null, 2)}\n` : `${report(results)}\n`);
}

function jsonRecord(r: CaseResult) {
  return {
    name: r.name,
    nsPerOp: r.nsPerOp,
    opsPerSec: r.opsPerSec,
    peerNsPerOp: r.peerNsPerOp,
    speedupVsPeer: r.speedupVsPeer,
    counters: r.counters,
    unit: r.unit,
    samples: r.samples,
    rmePercent: r.rmePercent,
    rounds: r.rounds,
    ...(r.nativeNsPerOp !== undefined ? { nativeNsPerOp: r.nativeNsPerOp, vsNative: r.vsNative } : {}),
  };
}

function report(results: CaseResult[]): string {
  const rows = results.map((r) => [
    r.name,
    r.unit,
    fixed(r.nsPerOp, 1),
    fixed(r.peerNsPerOp, 1),
    `${fixed(r.speedupVsPeer, 1)}x`,
    r.nativeNsPerOp !== undefined ? fixed(r.nativeNsPerOp, 1) : '-',
    r.vsNative !== undefined ? `${fixed(r.vsNative, 2)}x` : '-',
    Object.entries(r.counters).filter(([, v]) => v !== 0).map(([k, v]) => `${k}=${fixed(v, 3)}`).join(' '),
  ]);
  return table(['case', 'op', 'ns/op', 'peer ns/op', 'vs peer', 'native ns/op', 'time vs native', 'counters per op'], rows);
}
