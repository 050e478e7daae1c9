// Public surface of the perf gate (Node: baselines are files). Package subpath
// `iommu-wasm/gate`. The counters need nothing beyond this package; the speed ratios
// run the core benchmark, which needs the optional peer tinybench: collectSpeed loads
// it when called, so importing the gate does not.
import { PEERS, requirePeers } from '../peers/optional-peers.js';
import type { SpeedResult } from './speed.js';

export * from './scenarios.js';
export * from './compare.js';
export * from './baseline.js';
export * from './ci-formats.js';
export type { SpeedResult } from './speed.js';

/** Same-run speed ratios of every core benchmark case (engine over the plain-TypeScript peer). */
export async function collectSpeed(timeMs: number, onCase?: (name: string, i: number, total: number) => void): Promise<SpeedResult> {
  await requirePeers('collectSpeed (iommu-wasm/gate)', PEERS.bench);
  const speed = await import('./speed.js');
  return speed.collectSpeed(timeMs, onCase);
}
