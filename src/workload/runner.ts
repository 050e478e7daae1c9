// Runs a workload on a fresh engine, optionally recording every operation into a
// trace (binary, or NDJSON for people and diffs), and summarises what the engine counted.
import { BinaryTraceWriter } from '../trace/binary/index.js';
import { NdjsonTraceWriter } from '../trace/ndjson.js';
import type { ByteDestination } from '../trace/io.js';
import type { JsonValue, TraceHeaderInit } from '../trace/records.js';
import { createEngine, EngineDriver } from './engine-driver.js';
import { RecordSink } from './record-sink.js';
import { summarise, type RunResult } from './result.js';
import type { OpSink } from './ops.js';
import type { Workload } from './workload.js';

export interface RunOptions {
  /**
   * Write the operations as a binary trace to this stream (a file path: runWorkload
   * from workload/node.ts, or fileDestination from trace/node.ts).
   */
  record?: ByteDestination;
  /** The trace form `record` gets. Default binary. */
  recordForm?: 'binary' | 'ndjson';
  onProgress?: (done: number, total: number) => void;
}

/** Steps between progress reports and trace writes. */
const STEP_BLOCK = 1024;

export const TRACE_CREATOR = 'iommu-wasm workload';

export function traceHeader(workload: Workload): TraceHeaderInit {
  const params = workload.params as { seed?: number };
  return {
    creator: TRACE_CREATOR,
    seed: BigInt(params.seed ?? 0),
    metadata: { scenario: workload.name, unit: workload.unit, steps: workload.steps, params: workload.params, topology: workload.topology as unknown as JsonValue },
  };
}

export async function runWorkload(workload: Workload, options: RunOptions = {}): Promise<RunResult> {
  const engine = await createEngine(workload.topology);
  const driver = new EngineDriver(engine, workload.topology);
  const recorder = options.record ? new RecordSink(driver) : undefined;
  const writer = options.record
    ? await (options.recordForm === 'ndjson' ? NdjsonTraceWriter : BinaryTraceWriter).open(options.record, traceHeader(workload))
    : undefined;
  const sink: OpSink = recorder ?? driver;
  const counts = new CountingSink(sink);
  const started = performance.now();
  try {
    workload.setup(counts);
    driver.flush();
    // Counters describe the steps; setup (guest RAM, rings, pools) is the same for every variant.
    engine.resetCounters();
    driver.resetBuilderCounts();
    for (let done = 0; done < workload.steps;) {
      const block = Math.min(STEP_BLOCK, workload.steps - done);
      for (let i = 0; i < block; i++) workload.step(counts);
      done += block;
      if (writer) await writer.writeAll(recorder!.take());
      options.onProgress?.(done, workload.steps);
    }
    workload.finish(counts);
    driver.flush();
    if (writer) {
      await writer.writeAll(recorder!.take());
      await writer.close();
    }
  } catch (error) {
    if (writer) await writer.close().catch(() => undefined);
    throw error;
  }
  const seconds = (performance.now() - started) / 1e3;
  return summarise({
    scenario: workload.name,
    unit: workload.unit,
    units: workload.steps,
    translations: driver.translations,
    faults: driver.faults,
    records: counts.counts,
    seconds,
    engineSeconds: driver.engineNs / 1e9,
    counters: driver.translationCounters(),
    config: { params: workload.params, iotlbEntries: engine.iotlbEntries() },
  });
}

/** Counts operations by record type on their way to the next sink. */
export class CountingSink implements OpSink {
  readonly counts = { map: 0, unmap: 0, invalidate: 0, dma: 0 };
  constructor(private readonly next: OpSink) {}
  map(...a: Parameters<OpSink['map']>): void { this.counts.map++; this.next.map(...a); }
  unmap(...a: Parameters<OpSink['unmap']>): void { this.counts.unmap++; this.next.unmap(...a); }
  invalidateRange(...a: Parameters<OpSink['invalidateRange']>): void { this.counts.invalidate++; this.next.invalidateRange(...a); }
  invalidateSpace(space: number): void { this.counts.invalidate++; this.next.invalidateSpace(space); }
  invalidateGroup(group: number): void { this.counts.invalidate++; this.next.invalidateGroup(group); }
  invalidateAll(): void { this.counts.invalidate++; this.next.invalidateAll(); }
  dma(...a: Parameters<OpSink['dma']>): void { this.counts.dma++; this.next.dma(...a); }
}
