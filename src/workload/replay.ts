// Plays a recorded trace back through the engine, one chunk of records at a time:
// memory stays at one chunk whatever the trace size. The machine comes from the
// topology stored in the header; a trace without one (an ftrace import) runs on
// one x86-64 space per space id it names... up to 16 spaces, grown on demand.
import { createReadStream, statSync } from 'node:fs';
import { BinaryTraceReader } from '../trace/index.js';
import { createEngine, EngineDriver } from './engine-driver.js';
import { applyRecord } from './record-sink.js';
import { CountingSink } from './runner.js';
import { summarise, type RunResult } from './result.js';
import { fallbackTopology, parseTopology, type Topology } from './topology.js';

export interface ReplayOptions {
  /** Called with bytes read and the file size. */
  onProgress?: (done: number, total: number) => void;
}

/** Spaces a trace without a topology may name. */
const FALLBACK_SPACES = 16;

export async function replayTrace(path: string, options: ReplayOptions = {}): Promise<RunResult> {
  const size = statSync(path).size;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  const reader = await BinaryTraceReader.open(stream);
  const meta = (reader.header.metadata ?? {}) as { scenario?: string; unit?: string; steps?: number; topology?: unknown };
  const topology: Topology = meta.topology ? parseTopology(meta.topology) : fallbackTopology(FALLBACK_SPACES);
  const engine = await createEngine(topology);
  const driver = new EngineDriver(engine, topology);
  const counts = new CountingSink(driver);
  const started = process.hrtime.bigint();
  let stepsStarted = meta.topology === undefined;
  for await (const batch of reader.batches()) {
    for (const record of batch) {
      // A recorded workload's counters start after its setup: at its first DMA.
      if (!stepsStarted && record.type === 'dma') {
        driver.flush();
        engine.resetCounters();
        driver.resetBuilderCounts();
        stepsStarted = true;
      }
      applyRecord(record, counts);
    }
    options.onProgress?.(stream.bytesRead, size);
  }
  driver.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summarise({
    scenario: meta.scenario ?? reader.header.creator,
    unit: meta.unit ?? 'record',
    units: meta.steps ?? counts.counts.dma,
    translations: driver.translations,
    faults: driver.faults,
    records: counts.counts,
    seconds,
    engineSeconds: driver.engineNs / 1e9,
    counters: driver.translationCounters(),
    config: { trace: path, bytes: size, iotlbEntries: engine.iotlbEntries(), seed: reader.header.seed.toString() },
  });
}
