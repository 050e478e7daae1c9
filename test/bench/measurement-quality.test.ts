// Which benchmark results are flagged: rounds that disagree, and ratios measured too
// briefly. Pure functions of the recorded rounds; nothing is timed here.
import { describe, expect, it } from 'vitest';
import { caseSpread, caseWarnings, MIN_ROUND_MS, MIN_SAMPLES_PER_ROUND, tooBrief, type Measured } from '../../bench/measurement-quality.js';
import { relativeSpread, spreadOf } from '../../src/report/spread.js';

const steady = { min: 10, median: 10, max: 10 };

function measured(o: Partial<Measured> = {}): Measured {
  return { name: 'walk4', spread: { engineNsPerOp: steady, peerNsPerOp: steady, speedupVsPeer: steady }, minSamplesPerRound: 100, roundMs: 100, ...o };
}

describe('spread', () => {
  it('takes min, median and max of the rounds', () => {
    expect(spreadOf([3, 1, 2])).toEqual({ min: 1, median: 2, max: 3 });
    expect(spreadOf([4, 1, 2, 3])).toEqual({ min: 1, median: 2.5, max: 4 });
    expect(relativeSpread({ min: 9, median: 10, max: 11 })).toBeCloseTo(0.2);
    expect(() => spreadOf([])).toThrow(RangeError);
  });
});

describe('measurement quality', () => {
  it('passes steady, long enough rounds without a warning', () => {
    expect(caseSpread(measured())).toBe(0);
    expect(tooBrief(measured())).toBeUndefined();
    expect(caseWarnings(measured())).toEqual([]);
  });

  it('warns when the ratio or the engine time spread past 10% of their median', () => {
    const ratio = measured({ spread: { engineNsPerOp: steady, peerNsPerOp: steady, speedupVsPeer: { min: 40, median: 45, max: 50 } } });
    expect(caseSpread(ratio)).toBeCloseTo(10 / 45);
    expect(caseWarnings(ratio)).toEqual([expect.stringMatching(/^warning: walk4: rounds spread 22.2% \(> 10%\); the ratio may not mean anything/)]);
    const engine = measured({ spread: { engineNsPerOp: { min: 10, median: 10.5, max: 12 }, peerNsPerOp: steady, speedupVsPeer: steady } });
    expect(caseWarnings(engine)).toHaveLength(1);
    const justUnder = measured({ spread: { engineNsPerOp: { min: 10, median: 10.5, max: 11 }, peerNsPerOp: steady, speedupVsPeer: steady } });
    expect(caseWarnings(justUnder)).toEqual([]);
  });

  it('calls a ratio too brief for short rounds or too few samples, saying which', () => {
    expect(tooBrief(measured({ roundMs: MIN_ROUND_MS - 1 }))).toBe(`${MIN_ROUND_MS - 1} ms per round (< ${MIN_ROUND_MS})`);
    expect(tooBrief(measured({ roundMs: 3.3, minSamplesPerRound: 16 }))).toBe(`3.3 ms per round (< ${MIN_ROUND_MS}), 16 samples in a round (< ${MIN_SAMPLES_PER_ROUND})`);
    expect(tooBrief(measured({ minSamplesPerRound: MIN_SAMPLES_PER_ROUND }))).toBeUndefined();
    expect(caseWarnings(measured({ minSamplesPerRound: 16 }))).toEqual([`warning: walk4: too brief: 16 samples in a round (< ${MIN_SAMPLES_PER_ROUND}); raise --time`]);
  });
});
