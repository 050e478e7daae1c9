// `iommu-wasm replay FILE`: plays a trace of any form (binary, NDJSON, Linux ftrace
// text, told apart by content) through the engine on the machine it was recorded on
// or a what-if one, or with `--via iommufd` through one IOAS of the syscall surface.
// `--sweep` replays it on several machines and prints one table.
//
// Exit code: 0 when every record replayed and every line was read; 1 when records
// failed, ftrace lines were unreadable or lost, or the trace held no records (the
// summary still prints; `--lenient` accepts them with exit 0); `--strict` stops at
// the first such problem instead.
import { replayTrace, type ReplayOptions, type ReplayResult } from '../../workload/replay.js';
import { iommufdSummaryText, replayFileViaIommufd, type IommufdFileReplay } from '../../workload/replay-iommufd-file.js';
import { summaryText } from '../../report/summary-text.js';
import { environment } from '../../report/environment.js';
import { resultCsv, resultsCsv } from '../../report/result-csv.js';
import { fixed, percent, table } from '../../report/text-table.js';
import { progressBar } from '../progress.js';
import { ENGINE_ONLY, replayOptions, sweepPoints, type ReplayCommandOptions } from './replay-options.js';

/** The part of a commander Command used here: a usage error, one line, exit 2. */
interface UsageErrors {
  error(message: string, options?: { exitCode?: number; code?: string }): never;
}

export async function replayCommand(file: string, options: ReplayCommandOptions, command?: UsageErrors): Promise<void> {
  const usage = (message: string): never => {
    if (command) command.error(`error: ${message}`, { exitCode: 2, code: 'iommu-wasm.usage' });
    throw new Error(message);
  };
  if (options.strict && options.lenient) usage('--strict and --lenient contradict each other: give one.');
  if (options.via === 'iommufd') {
    const engineOnly = ENGINE_ONLY.find(([key]) => options[key] !== undefined);
    if (engineOnly) usage(`${engineOnly[1]} changes the engine's machine; --via iommufd replays on the System's own (leave it out, or use --via engine).`);
    return replayIommufdCommand(file, options);
  }
  const swept = new Set(options.sweep?.map((a) => a.key));
  if (options.stage2PageSize !== undefined && !options.nested && !swept.has('nested')) usage('--stage2-page-size applies only with --nested.');
  if (swept.has('stage2PageSize') && !options.nested && !swept.has('nested')) usage('--sweep stage2-page-size applies only with --nested.');
  if (options.maxMapBytes !== undefined) usage('--max-map-bytes applies to --via iommufd.');
  if (options.sweep) return sweepCommand(file, options);

  const progress = progressBar('replay');
  const result = await replayTrace(file, { ...replayOptions(options), onProgress: (done, total) => progress.update(done, total) }).finally(() => progress.stop());
  const title = `replay of ${file} (${result.replay.form}, ${result.scenario}); IOTLB ${result.config.iotlbEntries as number} entries${whatIfText(result)}`;
  const format = formatOf(options);
  process.stdout.write(
    format === 'json' ? `${JSON.stringify({ environment: environment(), ...result }, null, 2)}\n`
      : format === 'csv' ? resultCsv(result)
        : `${summaryText(result, title)}\n${replayNotes(result)}\n`,
  );
  judge(problemsOf(result), options);
}

function formatOf(o: ReplayCommandOptions): 'text' | 'json' | 'csv' {
  return o.format ?? (o.json ? 'json' : 'text');
}

function whatIfText(r: ReplayResult): string {
  const w = r.replay.whatIf;
  const parts = Object.entries(w).map(([k, v]) => `${k}=${typeof v === 'object' && v ? `${(v as { sets: number }).sets}x${(v as { ways: number }).ways}` : String(v)}`);
  return parts.length ? `; what-if ${parts.join(', ')}` : '';
}

/** The lines under the summary: what the replay added, what failed, what was lost. */
function replayNotes(r: ReplayResult): string {
  const rp = r.replay;
  const lines = [`  trace records ${rp.records}; added by the replay: ${rp.added.dma} DMA, ${rp.added.invalidations} invalidations`];
  if (rp.failed) lines.push(`  failed records ${rp.failed}: ${Object.entries(rp.failures).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const f of rp.firstFailures.slice(0, 3)) lines.push(`    record ${f.record}: ${f.message}`);
  if (rp.ftrace) {
    const f = rp.ftrace;
    lines.push(`  ftrace lines ${f.lines}; unreadable map/unmap lines ${f.malformed}; lost-events markers ${f.lostNotices} (${f.lostEvents} events lost)`);
    for (const w of f.warnings.slice(0, 3)) lines.push(`    line ${w.line}: ${w.message}`);
  }
  for (const note of rp.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}

interface Problems {
  failed: number;
  malformed: number;
  lostEvents: number;
  empty: boolean;
}

function problemsOf(r: ReplayResult): Problems {
  return { failed: r.replay.failed, malformed: r.replay.ftrace?.malformed ?? 0, lostEvents: r.replay.ftrace?.lostEvents ?? 0, empty: r.replay.records === 0 };
}

/** Exit 1 with one line on stderr when the replay was not whole, unless --lenient. */
function judge(p: Problems, options: ReplayCommandOptions): void {
  const what: string[] = [];
  if (p.empty) what.push('the trace holds no map, unmap, invalidate or DMA records (for ftrace: enable the iommu events, e.g. echo 1 > /sys/kernel/tracing/events/iommu/enable)');
  if (p.failed) what.push(`${p.failed} records failed`);
  if (p.malformed) what.push(`${p.malformed} unreadable ftrace lines were skipped`);
  if (p.lostEvents) what.push(`the kernel lost ${p.lostEvents} events`);
  if (what.length === 0 || options.lenient) return;
  process.stderr.write(`replay: ${what.join('; ')} (--lenient accepts this, --strict stops at the first)\n`);
  process.exitCode = 1;
}

async function sweepCommand(file: string, options: ReplayCommandOptions): Promise<void> {
  const base = replayOptions(options);
  const points = sweepPoints(options.sweep!);
  const progress = progressBar('replay sweep');
  const results: { label: string; result: ReplayResult }[] = [];
  try {
    for (const [i, point] of points.entries()) {
      const o: ReplayOptions = { ...base, ...point.whatIf };
      if (!o.nested) delete o.stage2PageSize;
      results.push({ label: point.label, result: await replayTrace(file, o) });
      progress.update(i + 1, points.length);
    }
  } finally {
    progress.stop();
  }
  const format = formatOf(options);
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify({ environment: environment(), trace: file, points: results.map(({ label, result }) => ({ point: label, ...result })) }, null, 2)}\n`);
  } else if (format === 'csv') {
    process.stdout.write(resultsCsv('machine', results));
  } else {
    const first = results[0]!.result;
    const rows = results.map(({ label, result: r }) => [
      label, String(r.translations), percent(r.hitRate), fixed(r.missesPerUnit, 3), fixed(r.walksPerTranslation, 4),
      fixed(r.pteReadsPerTranslation, 4), fixed(r.pteReadsPerWalk, 2), String(r.faults), String(r.replay.failed),
    ]);
    const header = `replay sweep of ${file} (${first.replay.form}, ${first.scenario}): ${results.length} machines, ${first.replay.records} records each`;
    // Notes that hold for every machine (a what-if's own note would mislabel the others).
    const common = first.replay.notes.filter((n) => results.every(({ result }) => result.replay.notes.includes(n)));
    const notes = replayNotes({ ...first, replay: { ...first.replay, notes: common } });
    process.stdout.write(`${header}\n\n${table(['machine', 'translations', 'hit rate', `misses/${first.unit}`, 'walks/transl.', 'reads/transl.', 'reads/walk', 'faults', 'failed'], rows)}\n${notes}\n`);
  }
  // Every point read the same trace: its lines and lost events are the first point's.
  const worst = results.reduce<Problems>((p, { result }) => {
    const q = problemsOf(result);
    return { failed: Math.max(p.failed, q.failed), malformed: q.malformed, lostEvents: q.lostEvents, empty: q.empty };
  }, { failed: 0, malformed: 0, lostEvents: 0, empty: false });
  judge(worst, options);
}

async function replayIommufdCommand(file: string, options: ReplayCommandOptions): Promise<void> {
  const replay: IommufdFileReplay = await replayFileViaIommufd(file, {
    ...(options.touch !== undefined ? { touch: options.touch } : {}),
    ...(options.strict ? { strict: true } : {}),
    ...(options.maxMapBytes !== undefined ? { maxMapBytes: BigInt(options.maxMapBytes) } : {}),
  });
  const { summary } = replay;
  const title = `replay of ${file} via iommufd (${replay.form}): one IOAS, one mock device on a domain with a 47-bit aperture`;
  const format = formatOf(options);
  const data = { file, form: replay.form, ftrace: replay.ftrace, ...summary };
  process.stdout.write(
    format === 'json' ? `${JSON.stringify({ environment: environment(), ...data }, null, 2)}\n`
      : format === 'csv' ? resultCsv(data)
        : `${iommufdSummaryText(summary, title)}\n`,
  );
  judge({
    failed: summary.maps.failed + summary.unmaps.failed,
    malformed: replay.ftrace?.malformed ?? 0,
    lostEvents: replay.ftrace?.lostEvents ?? 0,
    empty: Object.values(summary.records).every((n) => n === 0),
  }, options);
}
