// The core suite (issue: "The Wasm translation core"): every case runs on the Wasm
// engine and on the plain-TypeScript peer in the same process.
import type { BenchCase } from '../harness.js';
import { translationCases } from './translation-cases.js';
import { invalidationCases } from './invalidation-cases.js';

export interface SuiteCase {
  name: string;
  build: () => Promise<BenchCase>;
}

export const coreSuite: SuiteCase[] = [...translationCases, ...invalidationCases];
