// The `run` options: commander parsers for each (every value is checked where it is
// parsed, against the parameter's declaration in src/workload/params.ts and
// src/workload/scenarios/schema.ts), and their translation into generator
// parameter overrides. Loaded by main.ts once commander is known to be installed.
import type { CacheGeometry } from '../../engine/index.js';
import { checkParam, COMMON_PARAMS, describeRange, ParamError, type ParamSpec } from '../../workload/params.js';
import { ALL_PARAMS } from '../../workload/scenarios/schema.js';
import { scenarioParams } from '../../workload/scenarios/index.js';
import { invalid } from '../options.js';

export interface ScenarioOptions {
  steps?: number;
  translations?: number;
  seed?: number;
  pageSize?: string;
  nested?: boolean;
  stage2PageSize?: string;
  unmapInvalidation?: string;
  iotlb?: CacheGeometry;
  walkCache?: CacheGeometry | false;
  nestedCache?: CacheGeometry | false;
  walkers?: number;
  requestBytes?: number;
  /** `--set key=value`, parsed and checked against the declarations (dotted keys are object fields). */
  set?: Record<string, unknown>;
}

const SIZE_SUFFIX: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 };

/** A value for `spec` from the command line: numbers (sizes may end in K, M or G), true/false, names. */
function fromText(param: string, spec: ParamSpec, text: string): unknown {
  let value: unknown = text;
  if (spec.type === 'integer' || spec.type === 'number') {
    const m = /^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)([KMG]?)\s*$/i.exec(text);
    value = m ? Number(m[1]) * SIZE_SUFFIX[m[2]!.toUpperCase()]! : NaN;
  } else if (spec.type === 'boolean') {
    value = text === 'true' ? true : text === 'false' ? false : text;
  }
  try {
    return checkParam(param, spec, value);
  } catch (error) {
    if (error instanceof ParamError) invalid(`${param} must be ${describeRange(spec)}.`);
    throw error;
  }
}

/** The parser of an option that sets the common parameter `param` (--steps, --seed, --request-bytes). */
export function paramOption(param: keyof typeof COMMON_PARAMS): (value: string) => number {
  const spec = COMMON_PARAMS[param];
  return (value) => {
    const n = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
    try {
      return checkParam(param, spec, n) as number;
    } catch (error) {
      if (error instanceof ParamError) invalid(`must be ${describeRange(spec)}.`);
      throw error;
    }
  };
}

/** "64x4" -> 64 sets of 4 ways (sets a power of two, ways 1..64); "off" -> false unless `required`. */
export function geometry(required = false): (value: string) => CacheGeometry | false {
  return (value) => {
    if (value === 'off' && !required) return false;
    const m = /^(\d+)x(\d+)$/.exec(value.trim());
    const sets = m ? Number(m[1]) : NaN;
    const ways = m ? Number(m[2]) : NaN;
    const ok = sets >= 1 && sets <= 2 ** 20 && 2 ** Math.round(Math.log2(sets)) === sets && ways >= 1 && ways <= 64;
    if (!ok) invalid(`give SETSxWAYS: sets a power of two up to 2^20, ways 1 to 64 (e.g. 64x4)${required ? '; it cannot be off, the workloads measure it' : ', or off'}.`);
    return { sets, ways };
  };
}

/** `--set key=value` (repeatable): the key must be a declared parameter, the value in its range. */
export function setEntry(value: string, previous: Record<string, unknown> | undefined): Record<string, unknown> {
  const at = value.indexOf('=');
  if (at <= 0) invalid('give key=value, e.g. poolBuffers=4096 (run --describe SCENARIO lists the keys).');
  const key = value.slice(0, at).trim();
  const raw = value.slice(at + 1).trim();
  const [param, field] = key.split('.', 2) as [string, string | undefined];
  const spec = ALL_PARAMS[param];
  if (!spec) invalid(`unknown parameter "${param}" (run --describe SCENARIO lists the parameters a scenario takes).`);
  if (spec.type === 'options') invalid(`${param} is set with ${spec.option ?? 'its own options'}, not --set.`);
  const out = { ...(previous ?? {}) };
  if (spec.type === 'object') {
    const fieldSpec = field !== undefined ? spec.fields[field] : undefined;
    if (!fieldSpec) invalid(`set ${param} one field at a time: ${Object.keys(spec.fields).map((f) => `${param}.${f}`).join(', ')}.`);
    out[param] = { ...(out[param] as object | undefined), [field!]: fromText(key, fieldSpec, raw) };
  } else {
    if (field !== undefined) invalid(`${param} has no fields.`);
    out[param] = fromText(param, spec, raw);
  }
  return out;
}

/** Where a parameter came from on the command line, for messages. */
export function optionFor(param: string, o: ScenarioOptions): string {
  const top = param.split('.')[0]!;
  if (o.set && top in o.set) return `--set ${param}`;
  const spec = ALL_PARAMS[top];
  return spec?.option ?? `--set ${param}`;
}

export function scenarioOverrides(o: ScenarioOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(o.set ?? {}) };
  const engine: Record<string, unknown> = {};
  if (o.steps !== undefined && o.translations !== undefined && o.steps !== o.translations) {
    throw new ParamError('steps', `--steps ${o.steps} and --translations ${o.translations} disagree (one is an alias of the other: give one)`);
  }
  const steps = o.steps ?? o.translations;
  if (steps !== undefined) out.steps = steps;
  if (o.seed !== undefined) out.seed = o.seed;
  if (o.pageSize !== undefined) out.pageSize = o.pageSize;
  if (o.stage2PageSize !== undefined) out.stage2PageSize = o.stage2PageSize;
  if (o.nested) out.nested = true;
  if (o.unmapInvalidation !== undefined) out.unmapInvalidation = o.unmapInvalidation;
  if (o.requestBytes !== undefined) out.requestBytes = o.requestBytes;
  if (o.iotlb !== undefined) engine.iotlb = o.iotlb;
  if (o.walkCache !== undefined) engine.walkCache = o.walkCache;
  if (o.nestedCache !== undefined) engine.nestedTableCache = o.nestedCache;
  if (o.walkers !== undefined) engine.walkers = o.walkers;
  if (Object.keys(engine).length) out.engine = engine;
  return out;
}

/** `run --describe SCENARIO`: every parameter the scenario takes, its default, range and meaning. */
export function describeScenario(name: string, describe: string): string {
  const rows = scenarioParams(name).map((p) => {
    const how = p.spec.option ? `set with ${p.spec.option}` : p.spec.type === 'object' ? `--set ${p.name}.FIELD=...` : `--set ${p.name}=...`;
    const value = p.spec.type === 'options' ? '' : JSON.stringify(p.default);
    const range = p.spec.type === 'options' ? '' : `${describeRange(p.spec)}; `;
    return { how, name: p.name, value, range, meaning: p.spec.meaning };
  });
  const width = (k: 'name' | 'value') => Math.max(...rows.map((r) => r[k].length));
  const lines = rows.map((r) => `  ${r.name.padEnd(width('name'))}  ${r.value.padEnd(width('value'))}  ${r.meaning}; ${r.range}${r.how}`);
  return [`scenario ${name}: ${describe}`, '', 'parameters (name, default, meaning; values; how to set):', ...lines].join('\n');
}
