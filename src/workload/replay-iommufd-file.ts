// A trace file of any form replayed through iommufd (replay-iommufd.ts): the file
// layer's detection and ftrace import in front, and for ftrace text, which has no
// DMA records, one device access after every map unless `touch` is none.
import { openTraceFile } from '../trace/open-file.js';
import type { TraceForm } from '../trace/detect.js';
import type { TraceRecord } from '../trace/records.js';
import { replayViaIommufd, type IommufdReplaySummary } from './replay-iommufd.js';
import type { Touch } from './replay.js';

export { iommufdSummaryText } from './replay-iommufd.js';

export interface IommufdFileReplayOptions {
  touch?: Touch;
  maxMapBytes?: bigint;
  /** Stop at the first failed ioctl, unreadable ftrace line or lost-events marker. */
  strict?: boolean;
}

export interface IommufdFileReplay {
  form: TraceForm;
  summary: IommufdReplaySummary;
  ftrace?: { lines: number; malformed: number; lostNotices: number; lostEvents: number };
}

export async function replayFileViaIommufd(path: string, options: IommufdFileReplayOptions = {}): Promise<IommufdFileReplay> {
  const trace = await openTraceFile(path, { strict: options.strict ?? false });
  const touch = options.touch === 'map' || (options.touch !== 'none' && trace.form === 'ftrace');
  async function* records(): AsyncGenerator<TraceRecord> {
    for await (const batch of trace.batches()) yield* batch;
  }
  try {
    const { summary } = await replayViaIommufd(records(), {
      touch, ...(options.strict ? { strict: true } : {}), ...(options.maxMapBytes !== undefined ? { maxMapBytes: options.maxMapBytes } : {}),
    });
    if (touch && trace.form === 'ftrace') summary.notes.push('ftrace has no DMA records: each map is followed by one device access of its whole range (--touch none leaves them out)');
    const f = trace.ftrace?.stats;
    return { form: trace.form, summary, ...(f ? { ftrace: { lines: f.lines, malformed: f.malformed, lostNotices: f.ignored.lostNotices, lostEvents: f.lostEvents } } : {}) };
  } finally {
    trace.close();
  }
}
