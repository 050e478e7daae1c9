// Turns `run` options into generator parameter overrides.
import type { CacheGeometry } from '../../engine/index.js';

export interface ScenarioOptions {
  steps?: string;
  translations?: string;
  seed?: string;
  pageSize?: string;
  nested?: boolean;
  stage2PageSize?: string;
  unmapInvalidation?: string;
  iotlb?: string;
  walkCache?: string;
  nestedCache?: string;
  walkers?: string;
  requestBytes?: string;
  set?: string[];
}

export function positiveInteger(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

/** "64x4" -> 64 sets of 4 ways; "off" -> false. */
export function geometry(value: string, name: string): CacheGeometry | false {
  if (value === 'off') return false;
  const m = /^(\d+)x(\d+)$/.exec(value);
  if (!m) throw new Error(`--${name} must be SETSxWAYS (e.g. 64x4) or off, got "${value}"`);
  return { sets: Number(m[1]), ways: Number(m[2]) };
}

function oneOf<T extends string>(value: string, name: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

/** `--set key=value`: numbers and booleans are parsed, anything else stays a string. */
function parseSet(entry: string): [string, unknown] {
  const at = entry.indexOf('=');
  if (at <= 0) throw new Error(`--set takes key=value, got "${entry}"`);
  const key = entry.slice(0, at);
  const raw = entry.slice(at + 1);
  const value = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  return [key, value];
}

export function scenarioOverrides(o: ScenarioOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const engine: Record<string, unknown> = {};
  const steps = o.steps ?? o.translations;
  if (steps !== undefined) out.steps = positiveInteger(steps, 'steps');
  if (o.seed !== undefined) out.seed = positiveInteger(o.seed, 'seed');
  if (o.pageSize !== undefined) out.pageSize = oneOf(o.pageSize, 'page-size', ['4K', '2M']);
  if (o.stage2PageSize !== undefined) out.stage2PageSize = oneOf(o.stage2PageSize, 'stage2-page-size', ['4K', '2M']);
  if (o.nested) out.nested = true;
  if (o.unmapInvalidation !== undefined) out.unmapInvalidation = oneOf(o.unmapInvalidation, 'unmap-invalidation', ['leaf', 'all-levels']);
  if (o.requestBytes !== undefined) out.requestBytes = positiveInteger(o.requestBytes, 'request-bytes');
  if (o.iotlb !== undefined) {
    const g = geometry(o.iotlb, 'iotlb');
    if (!g) throw new Error('--iotlb cannot be off: the workloads measure it');
    engine.iotlb = g;
  }
  if (o.walkCache !== undefined) engine.walkCache = geometry(o.walkCache, 'walk-cache');
  if (o.nestedCache !== undefined) engine.nestedTableCache = geometry(o.nestedCache, 'nested-cache');
  if (o.walkers !== undefined) {
    const n = positiveInteger(o.walkers, 'walkers');
    if (n > 32) throw new Error(`--walkers must be 1..32, got "${o.walkers}"`);
    engine.walkers = n;
  }
  if (Object.keys(engine).length) out.engine = engine;
  for (const entry of o.set ?? []) {
    const [key, value] = parseSet(entry);
    out[key] = value;
  }
  return out;
}
