// Imports the iommu:map and iommu:unmap events of a Linux ftrace text dump
// (trace, trace_pipe or `trace-cmd report`) as map/unmap records. Every line
// ends up in exactly one bucket of FtraceStats; a line that mentions a
// map/unmap event but cannot be read exactly is reported with its number and
// skipped, or rejected in strict mode, never guessed at.

import { Perm } from '../engine/types.js';
import { TraceFormatError } from './errors.js';
import {
  classifyNonEventLine,
  looksLikeIommuEvent,
  parseEventLine,
  parseMapBody,
  parseUnmapBody,
  type EventLine,
} from './ftrace-line.js';
import { splitLines, textLines, type ByteSource } from './io.js';
import { TRACE_PERM_MASK, U32_MAX, type TraceHeaderInit, type TraceRecord } from './records.js';

export interface FtraceImportOptions {
  /**
   * Throw a TraceFormatError at the first malformed line, and at the first
   * lost-events marker, instead of skipping or counting it.
   */
  strict?: boolean;
  /** Address space for every record: the events do not say which domain they hit. Default 0. */
  space?: number;
  /** Permissions for map records: the events do not carry them. Default read|write. */
  perms?: number;
  /**
   * Length of an unmap record: what the caller asked for ('requested', the
   * default, which is also the printed range) or what the IOMMU layer reports
   * it removed ('unmapped'; they differ on holes and on partly hit large pages).
   */
  unmapLength?: 'requested' | 'unmapped';
  /** Warnings kept in memory (all are counted). Default 1000. */
  maxWarnings?: number;
}

export interface FtraceWarning {
  line: number;
  message: string;
  text: string;
}

export interface FtraceStats {
  lines: number;
  records: { map: number; unmap: number };
  ignored: {
    blank: number;
    comments: number;
    preamble: number;
    otherEvents: number;
    unrecognized: number;
    /** "[LOST n EVENTS]" lines (they also produce a warning). */
    lostNotices: number;
  };
  malformed: number;
  /** Map/unmap lines in the older text without the "start - end" range. */
  legacyFormat: number;
  /** Unmaps whose unmapped_size differs from the requested size. */
  partialUnmaps: number;
  /** Events the kernel reported dropping (ring buffer overruns): the trace has gaps. */
  lostEvents: number;
  firstTimestamp: string | undefined;
  lastTimestamp: string | undefined;
}

export interface FtraceImport {
  header: TraceHeaderInit;
  records: TraceRecord[];
  warnings: FtraceWarning[];
  stats: FtraceStats;
}

const IOMMU_SYSTEM = 'iommu';

/** Line-at-a-time importer; the functions below drive it over text or streams. */
export class FtraceImporter {
  readonly warnings: FtraceWarning[] = [];
  readonly stats: FtraceStats = {
    lines: 0,
    records: { map: 0, unmap: 0 },
    ignored: { blank: 0, comments: 0, preamble: 0, otherEvents: 0, unrecognized: 0, lostNotices: 0 },
    malformed: 0,
    legacyFormat: 0,
    partialUnmaps: 0,
    lostEvents: 0,
    firstTimestamp: undefined,
    lastTimestamp: undefined,
  };
  private readonly strict: boolean;
  private readonly space: number;
  private readonly perms: number;
  private readonly unmapLength: 'requested' | 'unmapped';
  private readonly maxWarnings: number;

  constructor(options: FtraceImportOptions = {}) {
    this.strict = options.strict ?? false;
    this.space = options.space ?? 0;
    this.perms = options.perms ?? Perm.R | Perm.W;
    this.unmapLength = options.unmapLength ?? 'requested';
    this.maxWarnings = options.maxWarnings ?? 1000;
    if (!Number.isInteger(this.space) || this.space < 0 || this.space > U32_MAX) throw new RangeError('space must be a u32');
    if (!Number.isInteger(this.perms) || (this.perms & ~TRACE_PERM_MASK) !== 0) throw new RangeError('perms must use Perm bits only');
  }

  /** The header an imported trace gets; its metadata records how it was imported. */
  header(): TraceHeaderInit {
    return {
      creator: 'iommu-wasm ftrace import',
      seed: 0n,
      metadata: {
        source: 'linux ftrace iommu:map/iommu:unmap',
        space: this.space,
        perms: this.perms,
        unmapLength: this.unmapLength,
      },
    };
  }

  /** Feeds one line (without its newline); returns the record it yields, if any. */
  line(text: string, lineNumber: number): TraceRecord | undefined {
    this.stats.lines++;
    const event = parseEventLine(text);
    if (!event) {
      if (looksLikeIommuEvent(text)) {
        return this.malformed(lineNumber, text, 'map/unmap event line with an unreadable task/pid/cpu/timestamp prefix');
      }
      const kind = classifyNonEventLine(text);
      switch (kind.kind) {
        case 'blank':
          this.stats.ignored.blank++;
          break;
        case 'comment':
          this.stats.ignored.comments++;
          break;
        case 'preamble':
          this.stats.ignored.preamble++;
          break;
        case 'lost':
          this.stats.ignored.lostNotices++;
          this.stats.lostEvents += kind.events;
          if (this.strict) throw new TraceFormatError('invalid-line', `the kernel dropped ${kind.events} events here: maps and unmaps may be missing`, { line: lineNumber });
          this.warn(lineNumber, text, `the kernel dropped ${kind.events} events here: maps and unmaps may be missing`);
          break;
        case 'unrecognized':
          this.stats.ignored.unrecognized++;
          break;
      }
      return undefined;
    }
    const isIommu = event.system === undefined || event.system === IOMMU_SYSTEM;
    if (!isIommu || (event.event !== 'map' && event.event !== 'unmap')) {
      this.stats.ignored.otherEvents++;
      return undefined;
    }
    return event.event === 'map' ? this.map(event, lineNumber, text) : this.unmap(event, lineNumber, text);
  }

  private map(event: EventLine, lineNumber: number, text: string): TraceRecord | undefined {
    const parsed = parseMapBody(event.body);
    if (!parsed.ok) return this.malformed(lineNumber, text, parsed.reason);
    const { iova, paddr, size, legacy } = parsed.event;
    this.accepted(event, legacy);
    this.stats.records.map++;
    return { type: 'map', space: this.space, iova, addr: paddr, length: size, perms: this.perms };
  }

  private unmap(event: EventLine, lineNumber: number, text: string): TraceRecord | undefined {
    const parsed = parseUnmapBody(event.body);
    if (!parsed.ok) return this.malformed(lineNumber, text, parsed.reason);
    const { iova, size, unmappedSize, legacy } = parsed.event;
    const length = this.unmapLength === 'requested' ? size : unmappedSize;
    if (iova + length > 1n << 64n) return this.malformed(lineNumber, text, 'unmapped_size runs past 2^64');
    this.accepted(event, legacy);
    if (unmappedSize !== size) this.stats.partialUnmaps++;
    this.stats.records.unmap++;
    return { type: 'unmap', space: this.space, iova, length };
  }

  private accepted(event: EventLine, legacy: boolean): void {
    if (legacy) this.stats.legacyFormat++;
    this.stats.firstTimestamp ??= event.timestamp;
    this.stats.lastTimestamp = event.timestamp;
  }

  private malformed(line: number, text: string, reason: string): undefined {
    this.stats.malformed++;
    if (this.strict) throw new TraceFormatError('invalid-line', `malformed ftrace line: ${reason}`, { line });
    this.warn(line, text, reason);
    return undefined;
  }

  private warn(line: number, text: string, message: string): void {
    if (this.warnings.length < this.maxWarnings) this.warnings.push({ line, message, text });
  }
}

/** Imports ftrace text held in memory. */
export function parseFtraceText(text: string, options?: FtraceImportOptions): FtraceImport {
  const importer = new FtraceImporter(options);
  const records: TraceRecord[] = [];
  for (const [line, number] of splitLines(text)) {
    const record = importer.line(line, number);
    if (record) records.push(record);
  }
  return { header: importer.header(), records, warnings: importer.warnings, stats: importer.stats };
}

/** Imports ftrace text from a stream or bytes (a file: importFtraceFile in trace/node), collecting the records. */
export async function importFtrace(source: ByteSource, options?: FtraceImportOptions): Promise<FtraceImport> {
  const importer = new FtraceImporter(options);
  const records: TraceRecord[] = [];
  for await (const record of ftraceRecords(source, importer)) records.push(record);
  return { header: importer.header(), records, warnings: importer.warnings, stats: importer.stats };
}

/**
 * Streams the records of an ftrace dump of any size, e.g. straight into a
 * BinaryTraceWriter; the importer's stats and warnings are complete once the
 * iteration ends.
 */
export async function* ftraceRecords(source: ByteSource, importer: FtraceImporter): AsyncGenerator<TraceRecord> {
  for await (const [line, number] of textLines(source)) {
    const record = importer.line(line, number);
    if (record) yield record;
  }
}
