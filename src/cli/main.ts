// The `iommu-wasm` command line. Its libraries (commander, cli-progress, and per
// command the report's and the benchmarks') are optional peer dependencies: they are
// checked, then loaded, only when a command runs (src/peers/optional-peers.ts).
import { PEERS, requirePeers } from '../peers/optional-peers.js';
import { packageVersion } from '../report/package-info.js';
import { SCENARIO_NAMES } from '../workload/scenarios/index.js';

export { packageVersion };

const EXIT_CODES = '\nExit codes: 0 success; 1 a regression (gate), a failed check or a command that failed (one line;\n--verbose or IOMMU_WASM_VERBOSE=1 prints the stack); 2 a usage error or a missing optional library (one\nline that says what to do); 130 or 143 when interrupted (SIGINT, SIGTERM).';

/**
 * The machine options `run` and `replay` share, with the same parsers (`what` prefixes
 * their help: replay's change a recorded machine). Loaded parsers are passed in
 * because they need commander, which is checked first.
 */
function machineOptionsAdder(parsers: {
  Option: typeof import('commander').Option;
  geometry: (required?: boolean) => (value: string) => unknown;
  integer: (what: string, min: number, max?: number) => (value: string) => number;
  paramOption: (param: 'requestBytes') => (value: string) => number;
}) {
  const { Option, geometry, integer, paramOption } = parsers;
  return (command: import('commander').Command, what: string): void => {
    command
      .addOption(new Option('--iotlb <SETSxWAYS>', `${what}IOTLB geometry, e.g. 64x4 (sets a power of two, ways 1..64)`).argParser(geometry(true)))
      .addOption(new Option('--walk-cache <SETSxWAYS|off>', `${what}paging-structure cache geometry`).argParser(geometry()))
      .addOption(new Option('--nested-cache <SETSxWAYS|off>', `${what}nested (stage-1 table GPA) cache geometry`).argParser(geometry()))
      .addOption(new Option('--walkers <n>', 'page walks in flight at once, 1..32 (default 24)').argParser(integer('--walkers', 1, 32)))
      .addOption(new Option('--request-bytes <n>', 'bytes per translation request: a power of two from 1 to 4096').argParser(paramOption('requestBytes')));
  };
}

/** An action that checks `peers`, then loads its command module and runs the command. */
function lazy<F extends (...args: never[]) => Promise<void>>(what: string, peers: readonly string[], load: () => Promise<F>) {
  return async (...args: Parameters<F>): Promise<void> => {
    await requirePeers(what, peers);
    await (await load())(...args);
  };
}

export async function main(argv: string[]): Promise<void> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  await requirePeers('the iommu-wasm command', PEERS.cli);
  const { Argument, Command, CommanderError, Option } = await import('commander');
  const { fraction, integer, oneOfEach, positiveNumber } = await import('./options.js');
  const { listOf, powersOfTwo } = await import('./list-options.js');
  const { geometry, paramOption, setEntry } = await import('./commands/run-options.js');
  const { sweepAxis } = await import('./commands/replay-options.js');
  const addMachineOptions = machineOptionsAdder({ Option, geometry, integer, paramOption });
  const { GATE_SCENARIOS } = await import('../gate/scenarios.js');
  const program = new Command();
  program
    .name('iommu-wasm')
    .version(packageVersion())
    .description('A software IOMMU: page-table walks, IOTLB, walk caches, nested translation and invalidation in WebAssembly.')
    .exitOverride()
    // Usage errors are one line (exit 2) that says what to do: the option's own
    // message, then where the options are listed. No help dump after it.
    .showHelpAfterError(false)
    .addHelpText('after', EXIT_CODES);

  const run = program
    .command('run')
    .description('run a built-in scenario (default: dma-stream) and print throughput, hit rates, walks and page-table reads')
    .addArgument(new Argument('[scenario]', 'scenario name').choices(SCENARIO_NAMES).default('dma-stream'))
    .option('--describe', 'list the scenario\'s parameters: default, values, meaning and how to set each (run --describe SCENARIO)')
    .option('--steps <n>', 'units of work (packets, I/Os, jobs, bursts; DMAs for dma-stream), >= 1', paramOption('steps'))
    .option('--translations <n>', 'alias of --steps (dma-stream: one translation per step)', paramOption('steps'))
    .option('--seed <n>', 'random seed, 0 to 2^32-1 (default 1)', paramOption('seed'))
    .addOption(new Option('--page-size <size>', 'data buffer page size (refused by scenarios whose buffers it does not back)').choices(['4K', '2M']))
    .option('--nested', 'run the device domain inside a guest: x86-64 stage 1 over vtd-ss stage 2')
    .addOption(new Option('--stage2-page-size <size>', 'guest RAM page size in stage 2 (with --nested)').choices(['4K', '2M']))
    .addOption(new Option('--unmap-invalidation <style>', 'after unmap: leaf (VT-d leaf-only hint, walk caches kept) or all-levels (AMD PDE, drops walk caches)').choices(['leaf', 'all-levels']));
  addMachineOptions(run, '');
  run
    .option('--set <key=value...>', 'any generator parameter, checked against its declaration (e.g. --set poolBuffers=4096; sizes take K, M, G; run --describe SCENARIO lists them)', setEntry)
    .option('--record <file>', 'write the operations as a trace: NDJSON for a name ending in .ndjson or .jsonl, binary otherwise')
    .addOption(new Option('--record-form <form>', 'the trace form --record writes, whatever the file name').choices(['binary', 'ndjson']))
    .addOption(new Option('--format <format>', 'text (summary table), json (the result with its environment) or csv (metric,value per field)').choices(['text', 'json', 'csv']))
    .addOption(new Option('--json', 'same as --format json').conflicts('format'))
    .action(lazy('iommu-wasm run', [], async () => (await import('./commands/run.js')).runCommand));

  const replay = program
    .command('replay')
    .description('replay a trace (binary, NDJSON or Linux ftrace text, told apart by content) through the engine, on its own machine or a what-if one, and print the same summary as run')
    .argument('<file>', 'trace file: .iotrace (run --record), NDJSON, or the text of /sys/kernel/tracing/trace with iommu:map/unmap events')
    .addOption(new Option('--via <path>', 'engine: the engine API (default); iommufd: one IOAS and a mock device through the syscall surface').choices(['engine', 'iommufd']));
  addMachineOptions(replay, 'what-if ');
  replay
    .addOption(new Option('--page-size <size>', 'what-if page size of the trace\'s maps: 4K (4 KiB pages only) or 2M (whole 2 MiB blocks)').choices(['4K', '2M']))
    .option('--nested', 'what-if: the trace\'s spaces as stage 1 over a vtd-ss stage 2 (map addresses become guest-physical)')
    .addOption(new Option('--stage2-page-size <size>', 'guest RAM page size in stage 2 (with --nested; default 4K)').choices(['4K', '2M']))
    .addOption(new Option('--unmap-invalidation <style>', 'the invalidation added after each ftrace unmap: leaf (default) or all-levels').choices(['leaf', 'all-levels']))
    .option('--max-map-bytes <n>', 'with --via iommufd: longest map passed to IOMMU_IOAS_MAP (it pins every page); longer ones are refused and counted (default 1 GiB)', integer('--max-map-bytes', 4096))
    .addOption(new Option('--touch <when>', 'device accesses added after each map: auto (ftrace only, it has no DMA records), map, none').choices(['auto', 'map', 'none']))
    .option('--sweep <KEY=V1,V2...>', `replay on every combination and print one table; KEY: iotlb, walk-cache, nested-cache, walkers, request-bytes, page-size, stage2-page-size, nested (on,off); repeatable, at most 64 points`, sweepAxis)
    .option('--strict', 'stop at the first failed record, unreadable ftrace line or lost-events marker (exit 1)')
    .option('--lenient', 'exit 0 even when records failed, lines were unreadable or events were lost (they are still reported)')
    .addOption(new Option('--format <format>', 'text, json (with the environment) or csv (metric,value; with --sweep a row per machine)').choices(['text', 'json', 'csv']))
    .addOption(new Option('--json', 'same as --format json').conflicts('format'))
    .addHelpText('after', '\nExit 1 when records failed, ftrace lines were unreadable or lost, or the trace is empty (unless --lenient).\nExample: iommu-wasm replay trace.txt --sweep iotlb=16x4,64x4,256x4 --sweep page-size=4K,2M')
    .action(lazy('iommu-wasm replay', [], async () => (await import('./commands/replay.js')).replayCommand));

  program
    .command('bench')
    .description('benchmark the engine against a plain-TypeScript peer in the same process')
    .option('--suite <name>', 'suite to run', 'core')
    .option('--case <names...>', 'only these cases')
    .addOption(new Option('--time <ms>', 'measuring time per task in milliseconds, split between the rounds (warmup comes on top)').argParser(positiveNumber('--time')).default(500))
    .addOption(new Option('--rounds <n>', 'rounds per case: engine, peer and native reference in turn; each reports its best round, the spread compares them').argParser(integer('--rounds', 1, 1000)).default(3))
    .addOption(new Option('--format <format>', 'text (table, spread, warnings), json ({ environment, cases }) or csv').choices(['text', 'json', 'csv']))
    .addOption(new Option('--json', 'same as --format json').conflicts('format'))
    .option('--no-native', 'skip the native C reference (compiled with the system C compiler when present)')
    .action(lazy('iommu-wasm bench', PEERS.bench, async () => (await import('./commands/bench.js')).benchCommand));

  program
    .command('gate')
    .description('compare deterministic counters and same-run speed ratios against a baseline; exit 1 on regression')
    .requiredOption('--baseline <file>', 'baseline JSON (bench/baseline.json)')
    .option('--update', 'rewrite the baseline from this run')
    .addOption(new Option('--speed <mode>', 'speed ratios: gate, report (print, never fail) or off').choices(['gate', 'report', 'off']).default('gate'))
    .addOption(new Option('--speed-time <ms>', 'benchmark time per task in milliseconds').argParser(positiveNumber('--speed-time')).default(150))
    .addOption(new Option('--tolerance <fraction>', 'relative change a counter may make, from 0 to below 1: 0.01 or 1% (default: the baseline\'s, 0 = exact)').argParser(fraction('--tolerance', 1)))
    .addOption(new Option('--speed-drop <fraction>', 'relative drop of a speed ratio that fails, from 0 to below 1: 0.5 or 50% (default: the baseline\'s)').argParser(fraction('--speed-drop', 1)))
    .option('--github-json <file>', 'also write github-action-benchmark customSmallerIsBetter JSON')
    .option('--bmf <file>', 'also write Bencher Metric Format JSON')
    .addOption(new Option('--only <scenarios...>', `only these gate scenarios: ${GATE_SCENARIOS.map((s) => s.name).join(', ')}`).argParser(oneOfEach('gate scenario', GATE_SCENARIOS.map((s) => s.name))))
    .addOption(new Option('--format <format>', 'text (what moved and the verdict), json ({ environment, passed, thresholds, rows }) or csv (every row)').choices(['text', 'json', 'csv']))
    .addOption(new Option('--json', 'same as --format json').conflicts('format'))
    .action(lazy('iommu-wasm gate', [], async () => (await import('./commands/gate.js')).gateCommand));

  program
    .command('report')
    .description('run sweeps on worker threads and write an HTML report with SVG and PNG charts')
    .option('--out <dir>', 'output directory', 'report')
    .option('--steps <n>', 'base steps per sweep point, >= 1 (NIC points run 10x, dma-stream 30x)', integer('--steps', 1), 1000)
    .option('--threads <n>', 'worker threads, 1 to 256 (default: available parallelism)', integer('--threads', 1, 256))
    .addOption(new Option('--repeats <n>', 'runs per throughput point, 1 to 100: min/median/max translations/s').argParser(integer('--repeats', 1, 100)).default(3))
    .addOption(new Option('--workloads <list>', 'workloads of the iotlb and throughput sweeps, comma-separated').argParser(listOf('--workloads', SCENARIO_NAMES)))
    .addOption(new Option('--iotlb-entries <list>', 'IOTLB sizes, powers of two (each >= --ways), e.g. 16,64,256').argParser(powersOfTwo('--iotlb-entries', 1, 1 << 20)))
    .addOption(new Option('--ways <n>', 'IOTLB ways of the iotlb sweep, 1 to 64 (default 4)').argParser(integer('--ways', 1, 64)))
    .addOption(new Option('--page-sizes <list>', 'iotlb sweep: a series per page size (4K,2M) for workloads whose buffers it backs; others are skipped with why').argParser(listOf('--page-sizes', ['4K', '2M'])))
    .addOption(new Option('--sweeps <list>', 'which sweeps: iotlb,nesting,throughput (default all)').argParser(listOf('--sweeps', ['iotlb', 'nesting', 'throughput'])))
    .addOption(new Option('--unmap-invalidation <list>', 'a series per style (leaf,all-levels) for workloads that invalidate each unmap (nic-strict, storage-*)').argParser(listOf('--unmap-invalidation', ['leaf', 'all-levels'])))
    .option('--compare <files...>', 'compare two report.json files (A B) instead of running: every point, its change and whether it exceeds the noise; exit 0')
    .addOption(new Option('--format <format>', 'with --compare: text, json or csv').choices(['text', 'json', 'csv']))
    // --compare reads two JSON files: it needs none of the chart and worker libraries.
    .action(async (options: { compare?: string[] }, command: unknown) => {
      await requirePeers('iommu-wasm report', options.compare ? [] : PEERS.report);
      const { reportCommand } = await import('./commands/report.js');
      await reportCommand(options as Parameters<typeof reportCommand>[0], command as Parameters<typeof reportCommand>[1]);
    });

  program
    .command('demo')
    .description('print a worked example as it runs (vtd: a nested VT-d guest driven through iommufd)')
    .argument('<name>', 'demo name: vtd')
    .action(lazy('iommu-wasm demo', [], async () => (await import('./commands/demo.js')).demoCommand));

  for (const command of program.commands) {
    command.addHelpText('after', EXIT_CODES);
    command.configureOutput({
      outputError: (message, write) => write(`${message.trimEnd()} (iommu-wasm ${command.name()} --help lists the options)\n`),
    });
  }

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
