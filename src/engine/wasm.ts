// Finding, compiling and instantiating the core. A build is compiled once per process
// and instantiated once per engine (each engine owns its memory).
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** `release` (fast), `debug` (bounds checks, assertions), or the name of another build in build/ (A/B experiments). */
export type BuildName = 'release' | 'debug' | (string & {});

/** The exports of assembly/index.ts (docs/wasm-abi.md). */
export interface CoreExports {
  memory: WebAssembly.Memory;
  init(physBits: number, frames: number, spaces: number, groups: number, allocators: number, tableRecords: number, faults: number,
    batch: number, iotlbSets: number, iotlbWays: number, policy: number, walkSets: number, walkWays: number,
    tableSets: number, tableWays: number, probeLimit: number, walkers: number): number;
  translateBatch(count: number): number;
  translateOne(space: number, iovaLow: number, iovaHigh: number, access: number): number;
  lastPerms(): number;
  lastShift(): number;
  lastLevel(): number;
  lastGpa(): bigint;
  lastFault(): number;
  lastAddr(): bigint;
  lastStage(): number;
  createSpace(format: number, levels: number, parent: number, group: number, allocator: number, options: number, root: bigint): number;
  destroySpace(space: number): number;
  setSpaceRoot(space: number, root: bigint): number;
  setSpaceOptions(space: number, options: number): number;
  spaceOptions(space: number): number;
  spaceRoot(space: number): bigint;
  spaceLive(space: number): number;
  allocatorCreate(base: bigint, limit: bigint, tableSpace: number): number;
  allocatorPages(id: number): number;
  allocatorPagesInUse(id: number): number;
  allocatorPagesFree(id: number): number;
  tableRecordsLeft(): number;
  invalidateRange(space: number, iova: bigint, bytes: bigint, leafOnly: number): void;
  invalidateSpace(space: number): void;
  invalidateSpaceList(count: number): number;
  invalidateWalkCaches(space: number): void;
  invalidateGroup(group: number): void;
  invalidateAll(): void;
  resolveThroughSpace(space: number, addr: bigint): bigint;
  map(space: number, iova: bigint, pa: bigint, size: bigint, perms: number): number;
  unmap(space: number, iova: bigint, size: bigint): bigint;
  walkOnly(space: number, iova: bigint, access: number, flags: number): number;
  nextLiveSpace(from: number): number;
  leafEntry(space: number, iova: bigint): number;
  leafValue(): bigint;
  leafAddress(): bigint;
  leafLevel(): number;
  readDirty(space: number, iova: bigint, size: bigint, pageSize: bigint, flags: number): bigint;
  dirtyBitmap(): number;
  dirtyLeaves(): number;
  dirtySkips(): number;
  dirtySkipReason(): number;
  dirtySkipLevel(): number;
  dirtySkipAddr(): bigint;
  dirtySkipIova(): bigint;
  counters(): number;
  syncCounters(): void;
  resetCounters(): void;
  counterCount(): number;
  faultRing(): number;
  faultRingSize(): number;
  faultsProduced(): number;
  faultsTaken(): number;
  faultsConsume(n: number): void;
  faultsLost(): number;
  batchSize(): number;
  batchIova(): number;
  batchSpace(): number;
  batchAccess(): number;
  batchOut(): number;
  batchStatus(): number;
  memoryEnd(): number;
  physAddressBits(): number;
  iotlbEntries(): number;
  currentStamp(): number;
  debugStamp(value: number): void;
  physFrame(pa: bigint, back: number): number;
  allocatorPageLimit(): number;
  physUnback(pa: bigint): void;
  physFramesUsed(): number;
  physFramesAvailable(): number;
}

const compiled = new Map<BuildName, Promise<WebAssembly.Module>>();

/** The build directory next to the package root, whether running from src/ or dist/src/. */
export function buildDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'assembly'))) return join(dir, 'build');
    dir = dirname(dir);
  }
  throw new Error('iommu-wasm: cannot find the package root (build/ next to package.json)');
}

export function wasmPath(build: BuildName): string {
  return join(buildDirectory(), `${build}.wasm`);
}

async function compile(build: BuildName): Promise<WebAssembly.Module> {
  const path = wasmPath(build);
  if (!existsSync(path)) throw new Error(`iommu-wasm: ${path} is missing; run \`npm run asbuild\``);
  return WebAssembly.compile(await readFile(path));
}

export async function instantiateCore(build: BuildName): Promise<CoreExports> {
  let module = compiled.get(build);
  if (!module) {
    module = compile(build);
    compiled.set(build, module);
  }
  const instance = await WebAssembly.instantiate(await module, {});
  return withUnsignedAddresses(instance.exports);
}

/**
 * The exports that return a linear-memory address. Wasm hands a u32 to JavaScript as
 * a signed i32, so past 2 GiB an address arrives negative: a view made from it
 * throws, and a subarray from it silently counts from the end of memory.
 */
const ADDRESS_GETTERS = [
  'counters', 'faultRing', 'batchIova', 'batchSpace', 'batchAccess', 'batchOut', 'batchStatus',
  'memoryEnd', 'dirtyBitmap',
] as const;

function withUnsignedAddresses(exports: WebAssembly.Exports): CoreExports {
  const core: Record<string, unknown> = { ...exports };
  for (const name of ADDRESS_GETTERS) {
    const raw = exports[name] as () => number;
    core[name] = () => raw() >>> 0;
  }
  // Called for every physical-memory access: fixed arity, no rest-argument array.
  const physFrame = exports.physFrame as (pa: bigint, back: number) => number;
  core.physFrame = (pa: bigint, back: number) => physFrame(pa, back) >>> 0;
  return core as unknown as CoreExports;
}
