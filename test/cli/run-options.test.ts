// Issue 17, defect 9: `run` and `report` accepted unknown keys and bad values. Every
// option is now checked where it is parsed (commander parsers and choices, and the
// generator parameter declarations for --set): a bad value is one line naming the
// option, exit 2. `--page-size` is refused where no buffer is backed by it; seed 0
// is a seed; `run --describe SCENARIO` lists the parameters with their defaults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, lines } from './helpers.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'iommu-run-options-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A short run (the values under test come after, so a later --steps wins). */
const run = (scenario: string, ...extra: string[]) => cli('run', scenario, '--steps', '50', ...extra);

async function expectUsageError(r: Awaited<ReturnType<typeof cli>>, ...named: string[]) {
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(lines(r.stderr)).toHaveLength(1);
  for (const n of named) expect(r.stderr).toContain(n);
}

describe('run: values from the issue', () => {
  it.each([
    [['--set', 'steps=-1'], ['--set', 'steps']],
    [['--set', 'steps=x'], ['--set', 'steps']],
    [['--set', 'ringSize=-5'], ['--set', 'ringSize']],
    [['--set', 'nosuch=1'], ['--set', 'nosuch']],
    [['--request-bytes', '3'], ['--request-bytes', 'power of two']],
    [['--request-bytes', '8192'], ['--request-bytes', 'power of two']],
    [['--page-size', '2M'], ['--page-size', 'nic-strict', 'mode=pool']],
  ])('nic-strict %j is a usage error naming the option', async (args, named) => {
    await expectUsageError(await run('nic-strict', ...args), ...named);
  });

  it('--seed 0 is accepted and is a different stream from --seed 1', async () => {
    const zero = await run('sva', '--seed', '0', '--json');
    const one = await run('sva', '--seed', '1', '--json');
    expect(zero.status).toBe(0);
    expect(zero.stderr).toBe('');
    expect(JSON.parse(zero.stdout).counters).not.toEqual(JSON.parse(one.stdout).counters);
  });

  it("report --threads '' is a usage error naming --threads (before any sweep runs)", async () => {
    await expectUsageError(await cli('report', '--out', join(dir, 'report'), '--steps', '1', '--threads', ''), '--threads');
  });
});

describe('run: every option is checked where it is parsed', () => {
  it.each([
    ['--steps', '0'], ['--steps', '1.5'], ['--translations', '-3'], ['--seed', '-1'], ['--seed', '4294967296'], ['--seed', 'x'],
    ['--page-size', '1G'], ['--stage2-page-size', '1G'], ['--unmap-invalidation', 'some'],
    ['--iotlb', 'off'], ['--iotlb', '3x4'], ['--iotlb', '64x0'], ['--walk-cache', '64'], ['--nested-cache', '8x65'],
    ['--walkers', '0'], ['--walkers', '33'], ['--walkers', 'x'],
    ['--set', 'poolBuffers'], ['--set', 'queues=2.5'], ['--set', 'txShare=2'], ['--set', 'mode=fast'], ['--set', 'nested=maybe'], ['--set', 'engine=1'],
  ])('%s %j', async (option, value) => {
    await expectUsageError(await run('nic-pool', option, value), option);
  });

  it('an unknown scenario is refused with the known ones listed', async () => {
    const r = await cli('run', 'nic-stirct');
    await expectUsageError(r, 'nic-stirct', 'nic-strict');
  });

  it('a parameter the scenario does not take, a field that does not exist, and an inconsistent combination are refused', async () => {
    await expectUsageError(await run('nic-strict', '--set', 'weights.range=5'), '--set weights', 'nic-strict takes no parameter');
    await expectUsageError(await run('invalidation-storm', '--set', 'weights.nosuch=5'), '--set', 'weights.range');
    await expectUsageError(await run('invalidation-storm', '--set', 'groups=9', '--set', 'domains=4'), '--set groups');
    await expectUsageError(await run('nic-strict', '--set', 'packetBytes=3000'), '--set packetBytes', 'bufferBytes');
    await expectUsageError(await run('nic-strict', '--stage2-page-size', '2M'), '--stage2-page-size', '--nested');
    await expectUsageError(await run('dma-stream', '--nested'), '--nested', 'dma-stream');
    await expectUsageError(await run('dma-stream', '--page-size', '2M'), '--page-size', 'hugeBytes');
    await expectUsageError(await run('storage-random', '--page-size', '2M'), '--page-size', 'mapping=persistent');
  });

  it('valid values run: 2M pages where they back buffers, sizes with suffixes, object fields', async () => {
    for (const args of [
      ['nic-pool', '--page-size', '2M'],
      ['nic-strict', '--set', 'mode=pool', '--page-size', '2M'],
      ['storage-random', '--set', 'mapping=persistent', '--page-size', '2M'],
      ['sva', '--page-size', '2M', '--set', 'workingSetBytes=32M'],
      ['nic-strict', '--nested', '--stage2-page-size', '2M', '--request-bytes', '64', '--iotlb', '32x8', '--walk-cache', 'off', '--walkers', '4'],
      ['invalidation-storm', '--set', 'weights.all=0', 'weights.range=1'],
    ]) {
      const r = await run(args[0]!, ...args.slice(1), '--json');
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.status, args.join(' ')).toBe(0);
    }
    // weights.all=0: no invalidate-all any more, the other weights kept.
    const storm = JSON.parse((await run('invalidation-storm', '--set', 'weights.all=0', '--json')).stdout);
    const stormDefault = JSON.parse((await run('invalidation-storm', '--json')).stdout);
    expect(stormDefault.invalidations.all).toBeGreaterThan(0);
    expect(storm.invalidations.all).toBe(0);
    expect(storm.invalidations.range).toBeGreaterThan(0);
  });
});

describe('run --describe', () => {
  it('lists every parameter of the scenario with its default, meaning and how to set it', async () => {
    const r = await cli('run', 'nic-strict', '--describe');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ringSize\s+256\s+descriptors per ring; a whole number from 1 to 16K; --set ringSize=\.\.\./);
    expect(r.stdout).toMatch(/seed\s+1\s+random seed.*from 0 to 4294967295; set with --seed/);
    expect(r.stdout).toMatch(/mode\s+"strict"/);
    expect((await cli('run', 'nic-pool-2m', '--describe')).stdout).toMatch(/pageSize\s+"2M"/);
    expect((await cli('run', 'invalidation-storm', '--describe')).stdout).toContain('--set weights.FIELD=...');
  });

  it('run --help points to it', async () => {
    const r = await cli('run', '--help');
    expect(r.stdout).toContain('--describe');
  });
});
