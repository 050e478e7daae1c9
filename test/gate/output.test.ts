// The gate's text and CSV output for a speed ratio measured too briefly.
import { describe, expect, it } from 'vitest';
import { gateCsv, gateReport } from '../../src/cli/commands/gate.js';
import { compareCounters, compareSpeed } from '../../src/gate/compare.js';

const rows = [
  ...compareCounters({ nic: { misses: 100 } }, { nic: { misses: 100 } }, 0),
  ...compareSpeed({ hit: 60, walk4: 30 }, { hit: 5, walk4: 29 }, 0.5, { hit: '3.3 ms per round (< 25)' }),
];

describe('gate output', () => {
  it('says a brief ratio is too brief and not gated, and passes', () => {
    const text = gateReport(rows, 'gate');
    expect(text.split('\n')[0]).toBe('1 counters compared, 2 speed ratios (gated; 1 too brief to compare, not gated)');
    expect(text).toMatch(/hit\s+speed\s+60\.0\s+5\.0\s+-91\.7%\s+too brief \(not gated\)/);
    expect(text).toContain('hit: too brief to compare (3.3 ms per round (< 25)); not gated: raise --speed-time');
    expect(text.trimEnd().endsWith('passed')).toBe(true);
  });

  it('writes every row as CSV with whether it was gated', () => {
    const csv = gateCsv(rows, 'gate').split('\r\n');
    expect(csv[0]).toBe('what,kind,baseline,current,change,status,gated,note');
    expect(csv).toContain('nic.misses,counter,100,100,0,ok,yes,');
    expect(csv.find((l) => l.startsWith('hit,'))).toMatch(/^hit,speed,60,5,-0\.91\d*,too brief,no,3\.3 ms per round \(< 25\)$/);
    expect(csv).toContain('walk4,speed,30,29,-0.033333333333333326,ok,yes,');
  });
});
