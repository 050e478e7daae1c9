// Runs the command line in this process (from the TypeScript sources, no build
// needed) and captures what it writes and the exit code it would exit with.
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  /** process.exitCode after the run: 2 when main threw (the launcher, bin/iommu-wasm.js, exits 2 on a thrown error). */
  status: number;
  stdout: string;
  stderr: string;
  /** The message of an error main threw, if any (the launcher prints it as one line). */
  thrown?: string;
}

export async function cli(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { stdout += String(chunk); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { stderr += String(chunk); return true; });
  const saved = process.exitCode;
  process.exitCode = undefined;
  let thrown: string | undefined;
  try {
    await main(argv);
  } catch (e) {
    thrown = e instanceof Error ? e.message : String(e);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const status = thrown !== undefined ? 2 : Number(process.exitCode ?? 0);
  process.exitCode = saved;
  return { status, stdout, stderr: thrown !== undefined ? `${stderr}${thrown}\n` : stderr, ...(thrown !== undefined ? { thrown } : {}) };
}

/** The lines of an error output, without empty ones. */
export const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
