// Exit codes and error lines of the built command (npm test builds first): a command
// that fails is exit 1 with one line, a usage error exit 2, and --verbose or
// IOMMU_WASM_VERBOSE=1 prints the stack instead of the line.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '../../bin/iommu-wasm.js');

function cli(args: string[], env: Record<string, string> = {}) {
  const { IOMMU_WASM_VERBOSE: _, ...base } = process.env;
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...base, ...env } });
  return { status: r.status, stderr: r.stderr, lines: r.stderr.trim().split('\n') };
}

describe('the launcher', () => {
  it('reports a failed command as exit 1 with one line that points at --verbose', () => {
    const r = cli(['replay', '/nonexistent/trace.bin']);
    expect(r.status).toBe(1);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/ENOENT.*\/nonexistent\/trace\.bin.*\(--verbose prints the stack\)$/);
  });

  it('prints the stack with --verbose in any position, or IOMMU_WASM_VERBOSE=1', () => {
    for (const r of [cli(['--verbose', 'replay', '/nonexistent/trace.bin']), cli(['replay', '/nonexistent/trace.bin', '--verbose']),
      cli(['replay', '/nonexistent/trace.bin'], { IOMMU_WASM_VERBOSE: '1' })]) {
      expect(r.status).toBe(1);
      expect(r.lines.length).toBeGreaterThan(1);
      expect(r.stderr).toMatch(/\n\s+at /);
      expect(r.stderr).not.toContain('--verbose prints the stack');
    }
  });

  it('keeps usage errors at exit 2 with one line', () => {
    const r = cli(['run', '--steps', 'x']);
    expect(r.status).toBe(2);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/--steps/);
  });
});
