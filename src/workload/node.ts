// The workload layer with Node's file system: everything workload/index.ts exports,
// a runner that records to a file path, and the streaming replay of a trace file.
// Package subpath `iommu-wasm/workload/node`.
import { fileDestination } from '../trace/node.js';
import type { ByteDestination } from '../trace/io.js';
import { runWorkload as runToDestination, type RunOptions as CoreRunOptions } from './runner.js';
import type { RunResult } from './result.js';
import type { Workload } from './workload.js';

export * from './index.js';
export { replayTrace, type ReplayOptions } from './replay.js';

export interface RunOptions extends Omit<CoreRunOptions, 'record'> {
  /** Write the operations as a binary trace to this file (or stream). */
  record?: string | ByteDestination;
}

/** Runs a workload on a fresh engine; `record` may name a file. */
export function runWorkload(workload: Workload, options: RunOptions = {}): Promise<RunResult> {
  const { record, ...rest } = options;
  if (record === undefined) return runToDestination(workload, rest);
  if (typeof record !== 'string') return runToDestination(workload, { ...rest, record });
  const file = fileDestination(record);
  // A run that fails before its writer opens leaves the file to us.
  return runToDestination(workload, { ...rest, record: file }).catch((error: unknown) => {
    file.destroy();
    throw error;
  });
}
