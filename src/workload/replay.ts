// Plays a trace file of any form (binary, NDJSON, Linux ftrace text) back through
// the engine, one batch of records at a time: memory stays at one batch whatever the
// trace size. The machine is the trace's stored topology or a fallback, with the
// what-if changes asked for (replay-machine.ts). A record the engine refuses (a map
// over a mapping, an address beyond the format) is counted by reason and the replay
// goes on, or stops there with `strict`.
//
// Linux ftrace holds maps and unmaps only. Replayed as they are, they would translate
// nothing and leave stale IOTLB entries behind every unmap, so for that form the
// replay adds what the kernel and the device did around them: a range invalidation
// after every unmap (leaf-only unless `unmapInvalidation` is all-levels), and, unless
// `touch` is none, one device access of every mapping's whole range right after it is
// mapped. Both are counted apart from the trace's records and named in the notes.
import { EngineError } from '../engine/index.js';
import { openTraceFile, type OpenedTrace } from '../trace/open-file.js';
import { TraceFormatError } from '../trace/errors.js';
import type { FtraceWarning } from '../trace/ftrace.js';
import type { TraceForm } from '../trace/detect.js';
import { emptyCounts, type TraceRecord } from '../trace/records.js';
import { Perm } from '../engine/types.js';
import { createEngine, EngineDriver } from './engine-driver.js';
import { GuestRamSink } from './guest-ram-sink.js';
import { DMA_READ, DMA_WRITE, NO_PASID, type OpSink } from './ops.js';
import { PageSizeSink } from './page-size-sink.js';
import type { UnmapInvalidation } from './params.js';
import { applyRecord } from './record-sink.js';
import { replayMachine, type WhatIf } from './replay-machine.js';
import { summarise, type RunResult } from './result.js';

export type Touch = 'auto' | 'map' | 'none';

export interface ReplayOptions extends WhatIf {
  /** Device accesses added after each map: auto (for ftrace text, which has no DMA records), map, or none. */
  touch?: Touch;
  /** The invalidation added after each unmap of an ftrace trace. Default leaf. */
  unmapInvalidation?: UnmapInvalidation;
  /** Stop at the first record the engine refuses, or the first unreadable or lost-events line (TraceFormatError). */
  strict?: boolean;
  /** Called with bytes read and the file size. */
  onProgress?: (done: number, total: number) => void;
}

export interface ReplayFailure {
  /** 1-based position of the record in the trace. */
  record: number;
  message: string;
}

export interface ReplayReport {
  form: TraceForm;
  /** Records the trace held. */
  records: number;
  /** Records the engine refused, by operation and reason ('map EXISTS'). */
  failed: number;
  failures: Record<string, number>;
  /** The first few refused records. */
  firstFailures: ReplayFailure[];
  /** Operations the replay added (see the top of this file). */
  added: { dma: number; invalidations: number };
  /** ftrace text: lines read, unreadable map/unmap lines skipped, lost-events markers and the events they count. */
  ftrace?: { lines: number; malformed: number; lostNotices: number; lostEvents: number; warnings: FtraceWarning[] };
  whatIf: WhatIf;
  notes: string[];
}

export type ReplayResult = RunResult & { replay: ReplayReport };

/** A strict replay's stop at the first problem, with where it is. */
export class ReplayStopped extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayStopped';
  }
}

const FAILURES_KEPT = 10;
const WARNINGS_KEPT = 10;

export async function replayTrace(path: string, options: ReplayOptions = {}): Promise<ReplayResult> {
  const trace = await openTraceFile(path, { strict: options.strict ?? false });
  try {
    return await replayOpened(path, trace, options);
  } catch (error) {
    if (error instanceof TraceFormatError && !error.message.startsWith(path)) error.message = `${path}: ${error.message}`;
    throw error;
  } finally {
    trace.close();
  }
}

async function replayOpened(path: string, trace: OpenedTrace, options: ReplayOptions): Promise<ReplayResult> {
  const meta = (trace.header.metadata ?? {}) as { scenario?: string; unit?: string; steps?: number; topology?: unknown };
  const machine = replayMachine(meta.topology, options);
  const engine = await createEngine(machine.topology, { paBits: machine.paBits });
  const driver = new EngineDriver(engine, machine.topology);
  const notes: string[] = [];
  let sink: OpSink = driver;
  if (machine.guest) {
    const ram = new GuestRamSink(driver, machine.guest);
    ram.mapTables();
    sink = ram;
    notes.push(`nested: every space is a stage 1 over one vtd-ss stage 2; guest RAM is mapped in 2 MiB regions as the trace first names them, with ${machine.guest.stage2PageSize === '4K' ? '4 KiB' : '2 MiB'} pages`);
  }
  if (options.pageSize !== undefined) {
    const parents = new Set(machine.topology.spaces.map((s) => s.parent).filter((p) => p !== undefined));
    sink = new PageSizeSink(sink, options.pageSize, (space) => !parents.has(space));
    notes.push(options.pageSize === '4K'
      ? 'page size 4K: maps are built from 4 KiB pages only'
      : 'page size 2M: every 2 MiB IOVA block a map touches is mapped whole (read-write) with one 2 MiB page until its last bytes are unmapped');
  }
  const ftrace = trace.form === 'ftrace';
  const touch = options.touch === 'map' || (options.touch !== 'none' && ftrace);
  const leafOnly = options.unmapInvalidation !== 'all-levels';
  if (ftrace) notes.push(`ftrace has no invalidations: each unmap is followed by a ${leafOnly ? 'leaf-only' : 'all-levels'} range invalidation, as the kernel's driver does`);
  if (touch) notes.push(`${ftrace ? 'ftrace has no DMA records: ' : ''}each map is followed by one device access of its whole range (--touch none leaves them out)`);

  const counts = emptyCounts();
  const report: ReplayReport = { form: trace.form, records: 0, failed: 0, failures: {}, firstFailures: [], added: { dma: 0, invalidations: 0 }, whatIf: whatIfOf(options), notes };
  const fail = (record: TraceRecord, error: unknown): void => {
    if (!(error instanceof EngineError || error instanceof RangeError)) throw error;
    const message = `record ${report.records} (${describe(record)}): ${error.message}`;
    if (options.strict) throw new ReplayStopped(`${path}: ${message}`);
    report.failed++;
    const reason = `${record.type} ${error instanceof EngineError ? error.code : 'OUT_OF_RANGE'}`;
    report.failures[reason] = (report.failures[reason] ?? 0) + 1;
    if (report.firstFailures.length < FAILURES_KEPT) report.firstFailures.push({ record: report.records, message: error.message });
  };

  // A recorded workload's counters start at its first DMA (its setup is the same for
  // every variant); anything else counts from the start, after the guest's setup.
  let countersStarted = !machine.stored;
  engine.resetCounters();
  driver.resetBuilderCounts();
  const started = process.hrtime.bigint();
  for await (const batch of trace.batches()) {
    for (const record of batch) {
      report.records++;
      counts[record.type]++;
      if (!countersStarted && record.type === 'dma') {
        driver.flush();
        engine.resetCounters();
        driver.resetBuilderCounts();
        countersStarted = true;
      }
      try {
        applyRecord(record, sink);
        if (record.type === 'map' && touch) {
          sink.dma(record.space, NO_PASID, Number(record.iova), Number(record.length), record.perms & Perm.W ? DMA_WRITE : DMA_READ);
          report.added.dma++;
        } else if (record.type === 'unmap' && ftrace) {
          sink.invalidateRange(record.space, Number(record.iova), Number(record.length), leafOnly);
          report.added.invalidations++;
        }
      } catch (error) {
        fail(record, error);
      }
    }
    options.onProgress?.(trace.bytesRead(), trace.size);
  }
  driver.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (trace.ftrace) {
    const s = trace.ftrace.stats;
    report.ftrace = { lines: s.lines, malformed: s.malformed, lostNotices: s.ignored.lostNotices, lostEvents: s.lostEvents, warnings: trace.ftrace.warnings.slice(0, WARNINGS_KEPT) };
  }
  const units = meta.steps ?? (counts.dma > 0 ? counts.dma : counts.map);
  const unit = meta.unit ?? (counts.dma > 0 ? 'DMA record' : 'map');
  const result = summarise({
    scenario: meta.scenario ?? trace.header.creator,
    unit,
    units,
    translations: driver.translations,
    faults: driver.faults,
    records: counts,
    seconds,
    engineSeconds: driver.engineNs / 1e9,
    counters: driver.translationCounters(),
    config: { trace: path, form: trace.form, bytes: trace.size, iotlbEntries: engine.iotlbEntries(), seed: trace.header.seed.toString(), whatIf: report.whatIf as Record<string, unknown> },
  });
  return { ...result, replay: report };
}

function whatIfOf(o: ReplayOptions): WhatIf {
  const keys: (keyof WhatIf)[] = ['iotlb', 'walkCache', 'nestedTableCache', 'walkers', 'requestBytes', 'pageSize', 'nested', 'stage2PageSize'];
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as WhatIf;
}

function describe(r: TraceRecord): string {
  const hex = (v: bigint) => `0x${v.toString(16)}`;
  switch (r.type) {
    case 'map': return `map space ${r.space} iova ${hex(r.iova)} addr ${hex(r.addr)} length ${hex(r.length)}`;
    case 'unmap': return `unmap space ${r.space} iova ${hex(r.iova)} length ${hex(r.length)}`;
    case 'dma': return `dma device ${r.device}${r.pasid !== undefined ? ` pasid ${r.pasid}` : ''} iova ${hex(r.iova)} length ${hex(r.length)}`;
    case 'invalidate': return `invalidate ${r.kind}`;
  }
}
