// The native C reference (reference.c): compiled once per machine with the system C
// compiler, then run case by case right after the engine's measurement, so the table
// compares Wasm and native under the same machine conditions. Absent a compiler, the
// comparison is simply left out.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeResult {
  name: string;
  nsPerOp: number;
  minNsPerOp: number;
}

function sourcePath(): string {
  // Works from bench/native (tsx/vitest) and from dist/bench/native (compiled).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'bench', 'native', 'reference.c');
    if (existsSync(candidate)) return candidate;
    if (existsSync(join(dir, 'reference.c'))) return join(dir, 'reference.c');
    dir = dirname(dir);
  }
  throw new Error('bench/native/reference.c not found');
}

let binary: string | null | undefined;

/** Path of the compiled reference, or null when no C compiler is available. */
export function nativeReference(): string | null {
  if (binary !== undefined) return binary;
  const source = sourcePath();
  const dir = join(tmpdir(), 'iommu-wasm-native');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'reference');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return (binary = out);
  for (const cc of ['cc', 'gcc', 'clang']) {
    const r = spawnSync(cc, ['-O2', '-o', out, source], { encoding: 'utf8' });
    if (r.status === 0) return (binary = out);
  }
  return (binary = null);
}

/** Runs one case of the native reference; null when it cannot run here. */
export function runNative(name: string): NativeResult | null {
  const bin = nativeReference();
  if (!bin) return null;
  const r = spawnSync(bin, [name], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) return null;
  const line = r.stdout.trim().split('\n').find((l) => l.includes(`"name":"${name}"`));
  return line ? (JSON.parse(line) as NativeResult) : null;
}
