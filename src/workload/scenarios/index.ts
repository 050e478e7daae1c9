// The named scenarios of `iommu-wasm run`: a generator with preset parameters.
// Every one takes the common parameters (seed, steps, pageSize, nested, unmapInvalidation,
// IOTLB and walk-cache geometry) and its generator's own. Each parameter is declared
// once (schema.ts); createScenario refuses unknown parameters, values outside their
// range and settings the scenario would silently ignore (a 2 MiB page size where no
// buffer is backed by it).
import { nicRing, NIC_DEFAULTS, type NicParams } from '../generators/nic-ring.js';
import { storage, STORAGE_DEFAULTS, type StorageParams } from '../generators/storage.js';
import { sva, SVA_DEFAULTS } from '../generators/sva.js';
import { vm, VM_DEFAULTS } from '../generators/vm.js';
import { invalidationStorm, STORM_DEFAULTS, type StormParams } from '../generators/invalidation-storm.js';
import { dmaStream, DMA_STREAM_DEFAULTS, type DmaStreamParams } from '../generators/dma-stream.js';
import { checkParam, ParamError, type ParamSpec } from '../params.js';
import { ALL_PARAMS } from './schema.js';
import type { Workload } from '../workload.js';

type Params = Record<string, unknown>;
type Factory = (overrides: Params) => Workload;
/** Settings the generator would accept but not use, or combinations it cannot run: [parameter, why]. */
type Check = (name: string, p: Params) => Array<[string, string]>;

interface ScenarioEntry {
  describe: string;
  create: Factory;
  /** The generator's defaults with the scenario's presets applied: its parameters and their defaults. */
  defaults: Params;
  check: Check;
}

const notNested = (name: string, p: Params): Array<[string, string]> =>
  p.stage2PageSize !== '4K' && !p.nested ? [['stage2PageSize', `stage2PageSize ${String(p.stage2PageSize)} applies to nested runs only: add --nested (${name} is not nested)`]] : [];

const randomAccess = (name: string, p: Params): Array<[string, string]> => [
  ...notNested(name, p),
  ...((p.runBytes as number) > (p.workingSetBytes as number) ? [['runBytes', `runBytes ${String(p.runBytes)} is larger than workingSetBytes ${String(p.workingSetBytes)}`] as [string, string]] : []),
];

const checkNic: Check = (name, params) => {
  const p = params as unknown as NicParams;
  const out: Array<[string, string]> = notNested(name, params);
  if (p.pageSize !== '4K' && p.mode !== 'pool') {
    out.push(['pageSize', `pageSize ${p.pageSize} has no effect on ${name}: in ${p.mode} mode every packet buffer is mapped as one 4 KiB page (dma_map_single); a 2 MiB page backs only a persistent pool (nic-pool-2m, or --set mode=pool)`]);
  }
  if (p.packetBytes > p.bufferBytes) out.push(['packetBytes', `packetBytes ${p.packetBytes} does not fit in bufferBytes ${p.bufferBytes}`]);
  if (p.mode !== 'pool' && p.bufferBytes > 4096) out.push(['bufferBytes', `bufferBytes ${p.bufferBytes}: in ${p.mode} mode a buffer is one 4 KiB page, at most 4096`]);
  return out;
};

const checkStorage: Check = (name, params) => {
  const p = params as unknown as StorageParams;
  const out: Array<[string, string]> = notNested(name, params);
  if (p.pageSize !== '4K' && p.mapping === 'per-io') {
    out.push(['pageSize', `pageSize ${p.pageSize} has no effect on ${name} with per-io mapping: each I/O maps a scatter-gather list of 4 KiB pages; 2 MiB pages back a persistent buffer pool (--set mapping=persistent)`]);
  }
  if (p.transferBytes > p.workingSetBytes) out.push(['transferBytes', `transferBytes ${p.transferBytes} is larger than workingSetBytes ${p.workingSetBytes}`]);
  return out;
};

const checkDmaStream: Check = (name, params) => {
  const p = params as unknown as DmaStreamParams;
  const out: Array<[string, string]> = [];
  if (p.pageSize !== '4K') out.push(['pageSize', `pageSize ${p.pageSize} has no effect on ${name}: it maps fixed regions, hugeBytes with 2 MiB pages and smallBytes with 4 KiB pages (set those instead)`]);
  if (p.nested) out.push(['nested', `${name} has no nested variant (try guest-nic-flush-queue, vm, or another scenario with --nested)`]);
  if (p.stage2PageSize !== '4K') out.push(['stage2PageSize', `stage2PageSize applies to nested runs only; ${name} is never nested`]);
  const perRing = Math.min(Math.floor(p.hugeBytes / Math.ceil(p.rings / 2)), Math.floor(p.smallBytes / Math.ceil(p.rings / 2)));
  if (perRing < p.packetBytes) out.push(['rings', `${p.rings} rings leave ${perRing} bytes per ring, less than packetBytes ${p.packetBytes}: fewer rings or larger hugeBytes/smallBytes`]);
  return out;
};

const checkStorm: Check = (name, params) => {
  const p = params as unknown as StormParams;
  const out = randomAccess(name, params);
  if (p.groups > p.domains) out.push(['groups', `groups ${p.groups} is more than domains ${p.domains}`]);
  const w = p.weights;
  if (w.range + w.space + w.group + w.all <= 0) out.push(['weights', 'weights must not all be 0']);
  return out;
};

function scenario<T>(describe: string, make: (name: string, o: Partial<T>) => Workload, defaults: T, fixed: Partial<T>, check: Check): (name: string) => ScenarioEntry {
  return (name) => ({
    describe,
    defaults: { ...defaults, ...fixed } as Params,
    create: (overrides) => make(name, { ...fixed, ...overrides } as Partial<T>),
    check,
  });
}

const ENTRIES: Record<string, (name: string) => ScenarioEntry> = {
  'dma-stream': scenario('persistent 2 MiB + 4 KiB mappings, 64 interleaved sequential rings (the original default)', dmaStream, DMA_STREAM_DEFAULTS, {}, checkDmaStream),
  'nic-strict': scenario('NIC RX/TX rings, every packet buffer mapped, unmapped and invalidated at once', nicRing, NIC_DEFAULTS, { mode: 'strict' }, checkNic),
  'nic-flush-queue': scenario('NIC rings with a deferred flush queue: one domain invalidation per 256 unmaps', nicRing, NIC_DEFAULTS, { mode: 'flush-queue' }, checkNic),
  'nic-pool': scenario('NIC rings over a persistent buffer pool mapped once', nicRing, NIC_DEFAULTS, { mode: 'pool' }, checkNic),
  'nic-pool-2m': scenario('NIC rings over a persistent pool backed by 2 MiB pages', nicRing, NIC_DEFAULTS, { mode: 'pool', pageSize: '2M' }, checkNic),
  'guest-nic-flush-queue': scenario('a nested VT-d guest (x86-64 over vtd-ss) running NIC rings with a flush queue', nicRing, NIC_DEFAULTS, { mode: 'flush-queue', nested: true }, checkNic),
  'storage-sequential': scenario('NVMe-style 128 KiB transfers, sequential, scatter-gather mapped per I/O', storage, STORAGE_DEFAULTS, { pattern: 'sequential' }, checkStorage),
  'storage-random': scenario('NVMe-style 128 KiB transfers at random offsets, mapped per I/O', storage, STORAGE_DEFAULTS, { pattern: 'random' }, checkStorage),
  'sva': scenario('accelerator with a PASID per process, random access over 64 MiB each, 4 KiB pages', sva, SVA_DEFAULTS, {}, randomAccess),
  'sva-2m': scenario('the same accelerator with 2 MiB pages', sva, SVA_DEFAULTS, { pageSize: '2M' }, randomAccess),
  'vm': scenario('4 guests x 2 PASIDs, x86-64 stage 1 nested on vtd-ss stage 2, one shared IOTLB', vm, VM_DEFAULTS, {}, randomAccess),
  'invalidation-storm': scenario('8 domains doing DMA under a flood of range/space/group/all invalidations', invalidationStorm, STORM_DEFAULTS, {}, checkStorm),
};

export const SCENARIOS: Record<string, ScenarioEntry> = Object.fromEntries(Object.entries(ENTRIES).map(([name, make]) => [name, make(name)]));

export const SCENARIO_NAMES = Object.keys(SCENARIOS);

function entry(name: string): ScenarioEntry {
  const e = SCENARIOS[name];
  if (!e) throw new Error(`unknown scenario "${name}" (known: ${SCENARIO_NAMES.join(', ')})`);
  return e;
}

export interface ScenarioParam {
  name: string;
  spec: ParamSpec;
  default: unknown;
}

/** The parameters `name` takes, with their declarations and the scenario's defaults. */
export function scenarioParams(name: string): ScenarioParam[] {
  const e = entry(name);
  return Object.keys(e.defaults).map((key) => ({ name: key, spec: ALL_PARAMS[key]!, default: e.defaults[key] }));
}

/**
 * Checks `overrides` against the scenario's parameters (ParamError naming the first
 * parameter at fault) and returns them with object-valued ones (weights) completed
 * from the defaults.
 */
export function checkOverrides(name: string, overrides: Params): Params {
  const e = entry(name);
  const out: Params = {};
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in e.defaults)) {
      throw new ParamError(key, `${name} takes no parameter "${key}" (it takes ${Object.keys(e.defaults).filter((k) => ALL_PARAMS[k]!.type !== 'options').join(', ')})`);
    }
    const spec = ALL_PARAMS[key]!;
    checkParam(key, spec, value);
    out[key] = spec.type === 'object' ? { ...(e.defaults[key] as object), ...(value as object) } : value;
  }
  const problems = e.check(name, { ...e.defaults, ...out });
  if (problems.length) throw new ParamError(problems[0]![0], problems[0]![1]);
  return out;
}

export function createScenario(name: string, overrides: Params = {}): Workload {
  return entry(name).create(checkOverrides(name, overrides));
}
