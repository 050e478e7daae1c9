// Issue 17, defect 8: the gate could be switched off by a typo. Every gate option is
// checked where it is parsed: a bad value is a one-line usage error naming the option
// (exit 2), and a run never starts with a threshold that cannot trigger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, lines } from './helpers.js';
import { gateReport } from '../../src/cli/commands/gate.js';
import { compareCounters, compareSpeed, type Row } from '../../src/gate/compare.js';
import { checkThresholds } from '../../src/gate/baseline.js';

let dir: string;
let baseline: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iommu-gate-options-'));
  baseline = join(dir, 'baseline.json');
  // A baseline the current code regresses against: nic-strict had 10 fewer misses.
  writeFileSync(baseline, JSON.stringify({
    version: 1, note: 'test', thresholds: { counterTolerance: 0, speedDrop: 0.5 },
    counters: { 'nic-strict': { misses: 4998 } }, speed: {},
  }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const gate = (...extra: string[]) => cli('gate', '--baseline', baseline, '--speed', 'off', ...extra);

describe('gate option values are checked where they are parsed', () => {
  it.each([
    ['--tolerance', 'x'],
    ['--tolerance', 'NaN'],
    ['--tolerance', '-1'],
    ['--tolerance', ''],
    ['--tolerance', '1'],
    ['--speed-drop', '5'],
    ['--speed-drop', '1'],
    ['--speed-drop', 'Infinity'],
    ['--speed-time', '0'],
    ['--speed-time', 'abc'],
    ['--speed', 'fast'],
    ['--only', 'nosuch'],
  ])('%s %j is a usage error: exit 2, one line naming the option', async (option, value) => {
    const r = await gate('--only', 'nic-strict', option, value);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(option);
  });

  it('--only with one unknown name among known ones is refused too, and lists the known ones', async () => {
    const r = await gate('--only', 'nic-strict', 'nic-strcit');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--only.*nic-strcit.*known: nic-strict, /);
  });

  it('a regression still fails with a valid tolerance below the change, and passes above it (0.01 and 1% alike)', async () => {
    expect((await gate('--only', 'nic-strict')).status).toBe(1);
    expect((await gate('--only', 'nic-strict', '--tolerance', '0.001')).status).toBe(1);
    expect((await gate('--only', 'nic-strict', '--tolerance', '0.01')).status).toBe(0);
    expect((await gate('--only', 'nic-strict', '--tolerance', '1%')).status).toBe(0);
  }, 120_000);

  it('a baseline file whose thresholds cannot work is refused by name', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 1, note: '', thresholds: { counterTolerance: 'x', speedDrop: 0.5 }, counters: {}, speed: {} }));
    const r = await cli('gate', '--baseline', bad, '--speed', 'off', '--only', 'nic-strict');
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('counterTolerance');
  });
});

describe('exit codes and errors', () => {
  it('a baseline that is not JSON is one line naming the file and how to write one', async () => {
    const bad = join(dir, 'not-json.json');
    writeFileSync(bad, '{ counters: ');
    const r = await cli('gate', '--baseline', bad, '--speed', 'off', '--only', 'nic-strict');
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`${bad}: not JSON`);
    expect(r.stderr).toContain('--update');
  });

  it('gate --help documents the exit codes', async () => {
    const r = await cli('gate', '--help');
    expect(r.stdout).toMatch(/Exit codes: 0 success; 1 a regression \(gate\), a failed check or a command that failed[^]*2 a usage error/);
  });
});

describe('the comparison refuses thresholds that switch it off', () => {
  it('NaN, negative and >= 1 thresholds throw instead of passing everything', () => {
    const c = { s: { misses: 10 } };
    for (const t of [NaN, -1, 1, 5]) expect(() => compareCounters(c, c, t)).toThrow(RangeError);
    for (const d of [NaN, -0.1, 1, 5]) expect(() => compareSpeed({ a: 2 }, { a: 1 }, d)).toThrow(RangeError);
    expect(compareCounters(c, c, 0)[0]!.status).toBe('ok');
    expect(() => checkThresholds({ counterTolerance: 0, speedDrop: 5 }, 'b.json')).toThrow(/b\.json: threshold speedDrop/);
  });
});

describe('report-only speed rows', () => {
  const rows: Row[] = [
    { kind: 'counter', name: 'nic-strict.misses', baseline: 100, current: 100, change: 0, status: 'ok' },
    ...compareSpeed({ 'map 4K': 10, 'walk': 10 }, { 'map 4K': 2, 'walk': 10 }, 0.5),
  ];

  it('with --speed report a slower ratio is "slower (reported)", never "regressed", and the verdict passes', () => {
    const text = gateReport(rows, 'report');
    expect(text).not.toContain('regressed');
    expect(text).toMatch(/map 4K\s+speed\s+10\.0\s+2\.0\s+-80\.0%\s+slower \(reported\)/);
    expect(text).toContain('1 speed ratio(s) slower than the baseline allows (reported, not gated)');
    expect(text.trimEnd().endsWith('passed')).toBe(true);
  });

  it('with --speed gate the same row is "regressed" and counted in the verdict', () => {
    const text = gateReport(rows, 'gate');
    expect(text).toMatch(/map 4K\s+speed\s+10\.0\s+2\.0\s+-80\.0%\s+regressed/);
    expect(text).toContain('FAILED: 1 regression(s)');
    expect(text.match(/regressed/g)).toHaveLength(1);
  });
});
