// The gate end to end through the built CLI (npm test builds first): --update
// writes a baseline the next run passes; a regressed counter makes it exit 1.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../../bin/iommu-wasm.js');
const ONLY = ['--only', 'nic-strict', 'sva-2m', '--speed', 'off'];

describe('iommu-wasm gate', () => {
  it('--update writes a baseline, the same code passes it, a regressed counter fails it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'iommu-gate-'));
    try {
      const baseline = join(dir, 'baseline.json');
      const gh = join(dir, 'gh.json');
      const bmf = join(dir, 'bmf.json');
      execFileSync('node', [CLI, 'gate', '--baseline', baseline, '--update', ...ONLY], { encoding: 'utf8' });
      const written = JSON.parse(readFileSync(baseline, 'utf8'));
      expect(Object.keys(written.counters)).toEqual(['nic-strict', 'sva-2m']);
      expect(written.counters['nic-strict'].misses).toBe(5008);

      const pass = spawnSync('node', [CLI, 'gate', '--baseline', baseline, ...ONLY, '--github-json', gh, '--bmf', bmf], { encoding: 'utf8' });
      expect(pass.status).toBe(0);
      expect(pass.stdout).toContain('passed');
      expect(JSON.parse(readFileSync(gh, 'utf8')).length).toBe(4);
      expect(JSON.parse(readFileSync(bmf, 'utf8'))['scenario/nic-strict'].misses.value).toBe(5008);

      // Pretend the baseline had fewer misses: today's run is then a regression.
      written.counters['nic-strict'].misses -= 10;
      writeFileSync(baseline, JSON.stringify(written));
      const fail = spawnSync('node', [CLI, 'gate', '--baseline', baseline, ...ONLY], { encoding: 'utf8' });
      expect(fail.status).toBe(1);
      expect(fail.stdout).toMatch(/nic-strict\.misses\s+counter\s+4998\s+5008\s+\+0\.2%\s+regressed/);
      expect(fail.stdout).toContain('FAILED: 1 regression(s)');
      expect(spawnSync('node', [CLI, 'gate', '--baseline', baseline, ...ONLY, '--tolerance', '0.01'], { encoding: 'utf8' }).status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
