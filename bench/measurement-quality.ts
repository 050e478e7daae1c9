// When a benchmark result should not be trusted: its rounds disagree (spread), or
// it was measured too briefly to mean anything. Pure functions of a CaseResult, so
// the rules are unit-tested without timing anything.
import { relativeSpread } from '../src/report/spread.js';
import type { CaseResult } from './harness.js';

/** Rounds whose ratio or engine time span more than this fraction of their median are flagged. */
export const SPREAD_WARNING = 0.1;
/**
 * Fewer samples than this in a round (on either side) is too few for a median. The
 * harness always runs 16 iterations however short the time, so a round this close to
 * 16 means the time budget ran out and only the forced minimum was measured.
 */
export const MIN_SAMPLES_PER_ROUND = 20;
/** Less measuring time than this per task and round leaves a timer-tick-sized sample. */
export const MIN_ROUND_MS = 25;

/** The measurement facts the rules look at. */
export type Measured = Pick<CaseResult, 'name' | 'spread' | 'minSamplesPerRound' | 'roundMs'>;

/** The larger relative spread of the ratio and of the engine time over the rounds. */
export function caseSpread(r: Measured): number {
  return Math.max(relativeSpread(r.spread.speedupVsPeer), relativeSpread(r.spread.engineNsPerOp));
}

/** Why the ratio was measured too briefly to compare, or undefined when it was not. */
export function tooBrief(r: Measured): string | undefined {
  const why: string[] = [];
  if (r.roundMs < MIN_ROUND_MS) why.push(`${fmt(r.roundMs)} ms per round (< ${MIN_ROUND_MS})`);
  if (r.minSamplesPerRound < MIN_SAMPLES_PER_ROUND) why.push(`${r.minSamplesPerRound} samples in a round (< ${MIN_SAMPLES_PER_ROUND})`);
  return why.length ? why.join(', ') : undefined;
}

/** One line per problem of one case, for the lines under the bench table. */
export function caseWarnings(r: Measured): string[] {
  const out: string[] = [];
  const spread = caseSpread(r);
  if (spread > SPREAD_WARNING) {
    out.push(`warning: ${r.name}: rounds spread ${(spread * 100).toFixed(1)}% (> ${SPREAD_WARNING * 100}%); the ratio may not mean anything on this machine now (more --time or --rounds, a quieter machine)`);
  }
  const brief = tooBrief(r);
  if (brief) out.push(`warning: ${r.name}: too brief: ${brief}; raise --time`);
  return out;
}

function fmt(ms: number): string {
  return ms >= 10 ? ms.toFixed(0) : ms.toFixed(1);
}
