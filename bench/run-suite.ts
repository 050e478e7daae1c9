// Runs a suite case by case (building each fixture just before it runs, so only one
// case's memory is alive at a time) and reports progress through a callback.
import { runCase, type CaseResult, type HarnessOptions } from './harness.js';
import { coreSuite, type SuiteCase } from './suites/core.js';

export const suites: Record<string, SuiteCase[]> = { core: coreSuite };

export interface RunSuiteOptions extends HarnessOptions {
  /** Only the cases whose names are listed (default: all). */
  only?: string[];
  onCaseStart?: (name: string, index: number, total: number) => void;
  onCaseDone?: (result: CaseResult, index: number, total: number) => void;
}

export async function runSuite(name: string, options: RunSuiteOptions): Promise<CaseResult[]> {
  const suite = suites[name];
  if (!suite) throw new Error(`unknown suite "${name}" (known: ${Object.keys(suites).join(', ')})`);
  const cases = options.only ? suite.filter((c) => options.only!.includes(c.name)) : suite;
  if (options.only) {
    const unknown = options.only.filter((n) => !suite.some((c) => c.name === n));
    if (unknown.length) throw new Error(`unknown case(s) ${unknown.join(', ')} in suite "${name}" (known: ${suite.map((c) => c.name).join(', ')})`);
  }
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    options.onCaseStart?.(c.name, i, cases.length);
    const result = await runCase(await c.build(), options);
    results.push(result);
    options.onCaseDone?.(result, i, cases.length);
  }
  return results;
}
