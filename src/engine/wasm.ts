// Finding, compiling and instantiating the core. A build is compiled once per process
// and instantiated once per engine (each engine owns its memory).
//
// Nothing here imports a Node module at load: the package runs in a browser too. The
// default build is found next to this module (import.meta.url): build/ is two folders
// up from src/engine/ in a checkout and three up from dist/src/engine/ in an installed
// package. A file: URL is read with node:fs, loaded only then; anything else is fetched.
import { EngineError } from './errors.js';

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
  leafPageShift(): number;
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

/**
 * Where the core comes from (`EngineOptions.wasm`): its bytes, a URL (a string or URL
 * object; in Node a file: URL or a plain path is read from disk, anything else is
 * fetched), or a module compiled already.
 */
export type WasmSource = ArrayBuffer | ArrayBufferView | string | URL | WebAssembly.Module;

/** Compiled default builds by name, and compiled URLs by href: each fetched and compiled once per process. */
const compiledBuilds = new Map<BuildName, Promise<WebAssembly.Module>>();
const compiledUrls = new Map<string, Promise<WebAssembly.Module>>();

const BUILD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Whether this module runs from the TypeScript sources (src/engine/, as under vitest) rather than from dist/. */
function fromSources(): boolean {
  return /\/src\/engine\/wasm\.ts$/.test(new URL(import.meta.url).pathname);
}

/**
 * The URL of a build's .wasm next to this package: build/<name>.wasm at the package
 * root, in a checkout and in node_modules alike. In a browser it is an http(s) URL
 * the page can fetch; a bundler that follows `new URL(literal, import.meta.url)`
 * finds the two shipped builds through the literals below.
 */
export function wasmUrl(build: BuildName = 'release'): URL {
  if (!BUILD_NAME.test(build)) throw new EngineError(`Engine.create: build ${JSON.stringify(build)} is not a build name (letters, digits, '.', '_', '-')`, 'BAD_WASM');
  if (fromSources()) return new URL(`../../build/${build}.wasm`, import.meta.url);
  if (build === 'release') return new URL('../../../build/release.wasm', import.meta.url);
  if (build === 'debug') return new URL('../../../build/debug.wasm', import.meta.url);
  return new URL(`../../../build/${build}.wasm`, import.meta.url);
}

function inNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** A string's scheme, when it has one of two or more letters (so `C:\\x` is a path). */
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]+:/;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return Object.getPrototypeOf(value)?.constructor?.name ?? 'object';
}

async function readFileUrl(url: URL, what: string): Promise<Uint8Array> {
  const [{ readFile }, { fileURLToPath }] = await Promise.all([import('node:fs/promises'), import('node:url')]);
  const path = fileURLToPath(url);
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') throw new EngineError(`${what}: ${path} is missing`, 'NO_WASM');
    throw new EngineError(`${what}: cannot read ${path}: ${(error as Error).message}`, 'NO_WASM');
  }
}

async function fetchUrl(url: URL, what: string): Promise<ArrayBuffer> {
  if (typeof fetch !== 'function') throw new EngineError(`${what}: cannot load ${url.href}: no fetch() here`, 'NO_WASM');
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new EngineError(`${what}: fetching ${url.href} failed: ${(error as Error).message}`, 'NO_WASM');
  }
  if (!response.ok) throw new EngineError(`${what}: fetching ${url.href} failed: HTTP ${response.status} ${response.statusText}`.trimEnd(), 'NO_WASM');
  return response.arrayBuffer();
}

async function compileBytes(bytes: BufferSource, what: string): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes);
  } catch (error) {
    throw new EngineError(`${what} is not a WebAssembly module: ${(error as Error).message}`, 'BAD_WASM');
  }
}

async function compileUrl(url: URL, what: string): Promise<WebAssembly.Module> {
  const bytes = url.protocol === 'file:' && inNode() ? await readFileUrl(url, what) : await fetchUrl(url, what);
  return compileBytes(bytes as BufferSource, `${what} (${url.href})`);
}

/** A cache entry that forgets a failure, so a build made after a failed attempt is picked up. */
function cached(cache: Map<string, Promise<WebAssembly.Module>>, key: string, compile: () => Promise<WebAssembly.Module>): Promise<WebAssembly.Module> {
  let module = cache.get(key);
  if (!module) {
    module = compile();
    cache.set(key, module);
    module.catch(() => cache.delete(key));
  }
  return module;
}

/** Resolves a string `wasm` option: a URL, relative to the page in a browser; in Node a path without a scheme is a file. */
async function stringUrl(value: string): Promise<URL> {
  if (URL_SCHEME.test(value)) return new URL(value);
  if (inNode()) {
    const [{ pathToFileURL }, { resolve }] = await Promise.all([import('node:url'), import('node:path')]);
    return pathToFileURL(resolve(value));
  }
  const base = (globalThis as { document?: { baseURI?: string }; location?: { href?: string } }).document?.baseURI
    ?? (globalThis as { location?: { href?: string } }).location?.href;
  if (base === undefined) throw new EngineError(`Engine.create: wasm ${JSON.stringify(value)} is not an absolute URL`, 'BAD_WASM');
  return new URL(value, base);
}

/** The compiled core for `Engine.create({ build, wasm })`: `wasm` when given, else the named build next to the package. */
export async function compileCore(build: BuildName, wasm?: WasmSource): Promise<WebAssembly.Module> {
  if (wasm === undefined) {
    const url = wasmUrl(build);
    return cached(compiledBuilds, build, () => compileUrl(url, `Engine.create: the ${build} build`).catch((error: unknown) => {
      if (error instanceof EngineError && error.code === 'NO_WASM' && url.protocol === 'file:') {
        throw new EngineError(`${error.message} (in a checkout, run \`npm run asbuild\`)`, 'NO_WASM');
      }
      throw error;
    }));
  }
  if (wasm instanceof WebAssembly.Module) return wasm;
  if (wasm instanceof ArrayBuffer) return compileBytes(wasm, 'Engine.create: the wasm bytes');
  if (ArrayBuffer.isView(wasm)) return compileBytes(wasm as ArrayBufferView<ArrayBuffer>, 'Engine.create: the wasm bytes');
  if (typeof wasm === 'string' || wasm instanceof URL) {
    const url = typeof wasm === 'string' ? await stringUrl(wasm) : wasm;
    return cached(compiledUrls, url.href, () => compileUrl(url, 'Engine.create: wasm'));
  }
  throw new EngineError(
    `Engine.create: wasm must be the core's bytes (ArrayBuffer or Uint8Array), a URL (string or URL) or a WebAssembly.Module, not ${typeName(wasm)}`,
    'BAD_WASM',
  );
}

/** Exports every core has; a module without them is some other Wasm. */
const REQUIRED_EXPORTS = ['memory', 'init', 'translateBatch', 'translateOne', 'map', 'unmap', 'counters', 'physFrame'];

export async function instantiateCore(build: BuildName, wasm?: WasmSource): Promise<CoreExports> {
  const module = await compileCore(build, wasm);
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const missing = REQUIRED_EXPORTS.filter((name) => !names.has(name));
  if (missing.length > 0) {
    throw new EngineError(`Engine.create: the wasm module is not the iommu-wasm core (no ${missing.join(', ')} export)`, 'BAD_WASM');
  }
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, {});
  } catch (error) {
    throw new EngineError(`Engine.create: the wasm module is not the iommu-wasm core: ${(error as Error).message}`, 'BAD_WASM');
  }
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
