// The environment a result carries, and the command line it records.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandLine, environment, shellQuote } from '../../src/report/environment.js';
import { packageVersion } from '../../src/report/package-info.js';

const ROOT = join(import.meta.dirname, '../..');

describe('environment', () => {
  it('names the tool, this package\'s version, the checkout\'s commit and the machine', () => {
    const env = environment('iommu-wasm bench --time 100');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(env.tool).toBe('iommu-wasm');
    expect(env.version).toBe(pkg.version);
    expect(packageVersion()).toBe(pkg.version);
    let head: string | undefined;
    try { head = execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { head = undefined; }
    expect(env.commit).toBe(head);
    expect(env.node).toBe(process.version);
    expect(env.cores).toBeGreaterThan(0);
    expect(typeof env.platform).toBe('string');
    expect(typeof env.arch).toBe('string');
    expect(Number.isNaN(Date.parse(env.date))).toBe(false);
    expect(env.command).toBe('iommu-wasm bench --time 100');
  });

  it('defaults the command to this process\'s arguments', () => {
    expect(environment().command).toBe(commandLine(process.argv.slice(2)));
  });

  it('quotes arguments a shell would split or expand', () => {
    expect(commandLine(['report', '--out', 'my dir', '--workloads', 'sva,vm'])).toBe("iommu-wasm report --out 'my dir' --workloads sva,vm");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('$HOME')).toBe("'$HOME'");
  });
});
