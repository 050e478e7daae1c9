// Worker-thread entry of the report's pool: runs one sweep point.
import { createScenario } from '../workload/scenarios/index.js';
import { runWorkload } from '../workload/runner.js';
import type { SweepPoint, SweepTask } from './sweeps.js';

export default async function runPoint(task: SweepTask): Promise<SweepPoint> {
  const r = await runWorkload(createScenario(task.scenario, task.overrides));
  return {
    sweep: task.sweep,
    series: task.series,
    scenario: task.scenario,
    x: task.x,
    hitRate: r.hitRate,
    missesPerUnit: r.missesPerUnit,
    pteReadsPerTranslation: r.pteReadsPerTranslation,
    pteReadsPerWalk: r.pteReadsPerWalk,
    engineTranslationsPerSecond: r.engineTranslationsPerSecond,
    translationsPerSecond: r.translationsPerSecond,
  };
}
