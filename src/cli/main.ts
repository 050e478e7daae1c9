// The `iommu-wasm` command line.
import { Command, CommanderError } from 'commander';
import { runCommand } from './commands/run.js';
import { benchCommand } from './commands/bench.js';

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
    .argument('[scenario]', 'scenario name', 'dma-stream')
    .option('--translations <n>', 'DMA translations to perform')
    .option('--seed <n>', 'random seed')
    .option('--json', 'print the result as JSON on stdout')
    .action(runCommand);

  program
    .command('bench')
    .description('benchmark the engine against a plain-TypeScript peer in the same process')
    .option('--suite <name>', 'suite to run', 'core')
    .option('--case <names...>', 'only these cases')
    .option('--time <ms>', 'time budget per task in milliseconds', '500')
    .option('--json', 'print one JSON object per case on stdout')
    .action(benchCommand);

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
