// The `iommu-wasm` command line.
import { Command, CommanderError } from 'commander';
import { runCommand } from './commands/run.js';
import { benchCommand } from './commands/bench.js';
import { demoCommand } from './commands/demo.js';
import { replayCommand } from './commands/replay.js';
import { gateCommand } from './commands/gate.js';
import { reportCommand } from './commands/report.js';
import { SCENARIO_NAMES } from '../workload/scenarios/index.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name('iommu-wasm')
    .description('A software IOMMU: page-table walks, IOTLB, walk caches, nested translation and invalidation in WebAssembly.')
    .exitOverride()
    .showHelpAfterError();

  program
    .command('run')
    .description('run a built-in scenario (default: dma-stream) and print throughput, hit rates, walks and page-table reads')
    .argument('[scenario]', `scenario name: ${SCENARIO_NAMES.join(', ')}`, 'dma-stream')
    .option('--steps <n>', 'units of work (packets, I/Os, jobs, bursts; DMAs for dma-stream)')
    .option('--translations <n>', 'alias of --steps (dma-stream: one translation per step)')
    .option('--seed <n>', 'random seed')
    .option('--page-size <size>', 'data buffer page size: 4K or 2M')
    .option('--nested', 'run the device domain inside a guest: x86-64 stage 1 over vtd-ss stage 2')
    .option('--stage2-page-size <size>', 'guest RAM page size in stage 2: 4K or 2M')
    .option('--unmap-invalidation <style>', 'after unmap: leaf (VT-d leaf-only hint, walk caches kept) or all-levels (AMD PDE, drops walk caches)')
    .option('--iotlb <SETSxWAYS>', 'IOTLB geometry, e.g. 64x4')
    .option('--walk-cache <SETSxWAYS|off>', 'paging-structure cache geometry')
    .option('--nested-cache <SETSxWAYS|off>', 'nested (stage-1 table GPA) cache geometry')
    .option('--walkers <n>', 'page walks in flight at once, 1..32 (default 24)')
    .option('--request-bytes <n>', 'bytes per translation request (power of two up to 4096)')
    .option('--set <key=value...>', 'any other generator parameter (e.g. --set poolBuffers=4096)')
    .option('--record <file>', 'write the operations as a binary trace')
    .option('--json', 'print the result as JSON on stdout')
    .action(runCommand);

  program
    .command('replay')
    .description('stream a binary trace back through the engine and print the same summary as run')
    .argument('<file>', 'binary trace (.iotrace), or Linux ftrace text with --via iommufd')
    .option('--via <path>', 'engine (default) or iommufd: drive one IOAS with a mock device through the syscall surface')
    .option('--json', 'print the result as JSON on stdout')
    .action(replayCommand);

  program
    .command('bench')
    .description('benchmark the engine against a plain-TypeScript peer in the same process')
    .option('--suite <name>', 'suite to run', 'core')
    .option('--case <names...>', 'only these cases')
    .option('--time <ms>', 'measuring time per task in milliseconds, split between the rounds (warmup comes on top)', '500')
    .option('--rounds <n>', 'rounds per case: engine, peer and native reference in turn; each reports its best round', '3')
    .option('--json', 'print one JSON object per case on stdout')
    .option('--no-native', 'skip the native C reference (compiled with the system C compiler when present)')
    .action(benchCommand);

  program
    .command('gate')
    .description('compare deterministic counters and same-run speed ratios against a baseline; exit 1 on regression')
    .requiredOption('--baseline <file>', 'baseline JSON (bench/baseline.json)')
    .option('--update', 'rewrite the baseline from this run')
    .option('--speed <mode>', 'speed ratios: gate, report (print, never fail) or off', 'gate')
    .option('--speed-time <ms>', 'benchmark time per task in milliseconds', '150')
    .option('--tolerance <fraction>', 'relative change a counter may make (default: the baseline\'s, 0 = exact)')
    .option('--speed-drop <fraction>', 'relative drop of a speed ratio that fails (default: the baseline\'s)')
    .option('--github-json <file>', 'also write github-action-benchmark customSmallerIsBetter JSON')
    .option('--bmf <file>', 'also write Bencher Metric Format JSON')
    .option('--only <scenarios...>', 'only these gate scenarios')
    .option('--json', 'print the comparison as JSON')
    .action(gateCommand);

  program
    .command('report')
    .description('run sweeps on worker threads and write an HTML report with SVG and PNG charts')
    .option('--out <dir>', 'output directory', 'report')
    .option('--steps <n>', 'base steps per sweep point (NIC points run 10x, dma-stream 30x)', '1000')
    .option('--threads <n>', 'worker threads (default: available parallelism)')
    .action(reportCommand);

  program
    .command('demo')
    .description('print a worked example as it runs (vtd: a nested VT-d guest driven through iommufd)')
    .argument('<name>', 'demo name: vtd')
    .action(demoCommand);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    throw err;
  }
}
