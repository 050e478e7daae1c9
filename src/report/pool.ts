// Runs sweep points on worker threads through piscina. The worker is the compiled
// JavaScript next to this module (dist/src/report/); run from the TypeScript
// sources (tests), the dist copy is used, which `npm run build` produces.
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { SweepPoint, SweepTask } from './sweeps.js';

function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const js = here.replace(/pool\.(ts|js)$/, 'sweep-worker.js');
  if (here.endsWith('.js')) return js;
  const dist = js.replace(/([\\/])src([\\/]report[\\/])/, '$1dist$1src$2');
  if (!existsSync(dist)) throw new Error(`report worker ${dist} is missing: run npm run build`);
  return dist;
}

export async function runSweeps(tasks: SweepTask[], threads = availableParallelism(), onDone?: (done: number, total: number) => void): Promise<SweepPoint[]> {
  const pool = new Piscina({ filename: workerFile(), minThreads: 1, maxThreads: Math.max(1, threads) });
  let done = 0;
  try {
    return await Promise.all(tasks.map(async (task) => {
      const point = (await pool.run(task)) as SweepPoint;
      onDone?.(++done, tasks.length);
      return point;
    }));
  } finally {
    await pool.destroy();
  }
}
