// The `replay` what-if options: the machine options `run` takes, parsed by the same
// parsers, and `--sweep KEY=V1,V2,...` (repeatable: the points are every
// combination) that replays one trace on several machines for one table.
import type { CacheGeometry } from '../../engine/index.js';
import type { ReplayOptions } from '../../workload/replay.js';
import type { WhatIf } from '../../workload/replay-machine.js';
import { invalid, integer } from '../options.js';
import { geometry, paramOption } from './run-options.js';

export interface ReplayCommandOptions {
  via?: 'engine' | 'iommufd';
  /** Alias of format json. */
  json?: boolean;
  format?: 'text' | 'json' | 'csv';
  iotlb?: CacheGeometry;
  walkCache?: CacheGeometry | false;
  nestedCache?: CacheGeometry | false;
  walkers?: number;
  requestBytes?: number;
  pageSize?: '4K' | '2M';
  nested?: boolean;
  stage2PageSize?: '4K' | '2M';
  unmapInvalidation?: 'leaf' | 'all-levels';
  touch?: 'auto' | 'map' | 'none';
  maxMapBytes?: number;
  strict?: boolean;
  lenient?: boolean;
  sweep?: SweepAxis[];
}

/** One swept option: its what-if key, the option name shown, and its values. */
export interface SweepAxis {
  key: keyof WhatIf;
  option: string;
  values: { text: string; value: WhatIf[keyof WhatIf] }[];
}

const PAGE_SIZES = ['4K', '2M'];

/** What `--sweep` can vary: the option name, its what-if key and its value parser. */
const SWEEPABLE: Record<string, { key: keyof WhatIf; parse: (text: string) => WhatIf[keyof WhatIf] }> = {
  iotlb: { key: 'iotlb', parse: geometry(true) as (t: string) => CacheGeometry },
  'walk-cache': { key: 'walkCache', parse: geometry() },
  'nested-cache': { key: 'nestedTableCache', parse: geometry() },
  walkers: { key: 'walkers', parse: integer('walkers', 1, 32) },
  'request-bytes': { key: 'requestBytes', parse: paramOption('requestBytes') },
  'page-size': { key: 'pageSize', parse: choice('page-size', PAGE_SIZES) as (t: string) => WhatIf['pageSize'] },
  'stage2-page-size': { key: 'stage2PageSize', parse: choice('stage2-page-size', PAGE_SIZES) as (t: string) => WhatIf['stage2PageSize'] },
  nested: { key: 'nested', parse: (t) => choice('nested', ['on', 'off'])(t) === 'on' },
};

/** Sweep points at most: each is a full replay of the trace. */
export const MAX_SWEEP_POINTS = 64;

function choice(what: string, values: string[]): (text: string) => string {
  return (text) => {
    if (!values.includes(text)) invalid(`${what} takes ${values.join(' or ')}, not "${text}".`);
    return text;
  };
}

/** `--sweep KEY=V1,V2,...`: each value parsed as the option KEY would parse it. */
export function sweepAxis(text: string, previous: SweepAxis[] | undefined): SweepAxis[] {
  const at = text.indexOf('=');
  const option = at > 0 ? text.slice(0, at).trim().replace(/^--/, '') : '';
  const spec = SWEEPABLE[option];
  if (!spec) invalid(`give KEY=V1,V2,... with KEY one of ${Object.keys(SWEEPABLE).join(', ')} (e.g. --sweep iotlb=16x4,64x4,256x4).`);
  if ((previous ?? []).some((a) => a.option === option)) invalid(`${option} is swept twice: give its values in one --sweep ${option}=V1,V2,...`);
  const texts = text.slice(at + 1).split(',').map((v) => v.trim());
  if (texts.some((v) => v === '')) invalid(`--sweep ${option}: a value is empty; give V1,V2,... without empty entries.`);
  if (new Set(texts).size !== texts.length) invalid(`--sweep ${option}: a value is given twice.`);
  const values = texts.map((t) => ({ text: t, value: spec.parse(t) }));
  const axes = [...(previous ?? []), { key: spec.key, option, values }];
  const points = axes.reduce((n, a) => n * a.values.length, 1);
  if (points > MAX_SWEEP_POINTS) invalid(`the sweep has ${points} points; at most ${MAX_SWEEP_POINTS} (each replays the whole trace).`);
  return axes;
}

/** The replay options of the command line, without the sweep. */
export function replayOptions(o: ReplayCommandOptions): ReplayOptions {
  const out: ReplayOptions = {};
  if (o.iotlb !== undefined) out.iotlb = o.iotlb;
  if (o.walkCache !== undefined) out.walkCache = o.walkCache;
  if (o.nestedCache !== undefined) out.nestedTableCache = o.nestedCache;
  if (o.walkers !== undefined) out.walkers = o.walkers;
  if (o.requestBytes !== undefined) out.requestBytes = o.requestBytes;
  if (o.pageSize !== undefined) out.pageSize = o.pageSize;
  if (o.nested) out.nested = true;
  if (o.stage2PageSize !== undefined) out.stage2PageSize = o.stage2PageSize;
  if (o.unmapInvalidation !== undefined) out.unmapInvalidation = o.unmapInvalidation;
  if (o.touch !== undefined) out.touch = o.touch;
  if (o.strict) out.strict = true;
  return out;
}

/** The options that change the machine, which `--via iommufd` cannot honour (its machine is the System's). */
export const ENGINE_ONLY: [keyof ReplayCommandOptions, string][] = [
  ['iotlb', '--iotlb'], ['walkCache', '--walk-cache'], ['nestedCache', '--nested-cache'], ['walkers', '--walkers'],
  ['requestBytes', '--request-bytes'], ['pageSize', '--page-size'], ['nested', '--nested'], ['stage2PageSize', '--stage2-page-size'],
  ['unmapInvalidation', '--unmap-invalidation'], ['sweep', '--sweep'],
];

/** Every combination of the axes' values, as what-if overrides with a label. */
export function sweepPoints(axes: SweepAxis[]): { label: string; whatIf: WhatIf }[] {
  let points: { label: string[]; whatIf: WhatIf }[] = [{ label: [], whatIf: {} }];
  for (const axis of axes) {
    points = points.flatMap((p) => axis.values.map((v) => ({ label: [...p.label, `${axis.option}=${v.text}`], whatIf: { ...p.whatIf, [axis.key]: v.value } })));
  }
  return points.map((p) => ({ label: p.label.join(' '), whatIf: p.whatIf }));
}
