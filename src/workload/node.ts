// The workload layer with Node's file system: everything workload/index.ts exports,
// a runner that records to a file path, and the streaming replay of a trace file.
// Package subpath `iommu-wasm/workload/node`.
import { fileDestination } from '../trace/node.js';
import type { ByteDestination } from '../trace/io.js';
import { runWorkload as runToDestination, type RunOptions as CoreRunOptions } from './runner.js';
import type { RunResult } from './result.js';
import type { Workload } from './workload.js';

export * from './index.js';
export { replayTrace, ReplayStopped, type ReplayOptions, type ReplayResult, type ReplayReport, type ReplayFailure, type Touch } from './replay.js';
export { replayMachine, FALLBACK_SPACES, type WhatIf, type ReplayMachine, type ReplayGuest } from './replay-machine.js';

export interface RunOptions extends Omit<CoreRunOptions, 'record'> {
  /**
   * Write the operations as a trace to this file (or stream): NDJSON when `recordForm`
   * says so or the file name ends in .ndjson or .jsonl, binary otherwise.
   */
  record?: string | ByteDestination;
}

/** The trace form a file name asks for. */
export function recordFormFor(path: string): 'binary' | 'ndjson' {
  return /\.(ndjson|jsonl)$/i.test(path) ? 'ndjson' : 'binary';
}

/** Runs a workload on a fresh engine; `record` may name a file. */
export function runWorkload(workload: Workload, options: RunOptions = {}): Promise<RunResult> {
  const { record, ...rest } = options;
  if (record === undefined) return runToDestination(workload, rest);
  if (typeof record !== 'string') return runToDestination(workload, { ...rest, record });
  const file = fileDestination(record);
  // A run that fails before its writer opens leaves the file to us.
  return runToDestination(workload, { recordForm: recordFormFor(record), ...rest, record: file }).catch((error: unknown) => {
    file.destroy();
    throw error;
  });
}
export { replayFileViaIommufd, type IommufdFileReplay, type IommufdFileReplayOptions } from './replay-iommufd-file.js';
