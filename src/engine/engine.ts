// The engine API: spaces, mapping, translation (per access and in batches),
// invalidation, faults and counters over one instance of the Wasm core.
import { instantiateCore, type CoreExports } from './wasm.js';
import { MemoryViews } from './views.js';
import { EnginePhysicalMemory } from './phys.js';
import { COUNTER_NAMES, type Counters } from './counters.js';
import {
  checkBits, checkRegion, checkSpace, checkU64, checkWhole, framesFor, isAccessBits, isU32, isU64Number, overlaps,
  refuseRequest, U64_MAX, type Region,
} from './option-checks.js';
import { EngineError, buildError } from './errors.js';
import { DEFAULTS, type EngineOptions } from './options.js';
import { FORMATS, FormatId, Replacement, type FormatName, type Translation } from './types.js';
import { Batch } from './batch.js';
import { readFaults, type FaultRecord } from './faults.js';
import { clearDirtyRange, readDirtyBitmap, type DirtyBitmap, type DirtyScan } from './dirty.js';

const NO_ROOT = 0xffff_ffff_ffff_ffffn;
const TWO32 = 2 ** 32;
/** translateOne's status for a request naming no live space. */
const STATUS_BAD_SPACE = 7;

export interface SpaceOptions {
  format: FormatName;
  levels: number;
  /** Stage-2 space this one nests on. */
  parent?: number;
  /** Invalidation group (a driver's domain, a model's DID); default 0. */
  group?: number;
  /** Set accessed/dirty bits while walking. */
  ad?: boolean;
  /** Re-walk every IOTLB hit and report hits that disagree with memory. */
  staleCheck?: boolean;
  /** Tables maintained by somebody else (a guest) at this root; the engine then owns nothing. */
  root?: bigint;
  /** Table allocator for an owned space; default: the host one, or a nested space's own. */
  allocator?: number;
}

/** Outcome of a cached translation: `addr` is the output on success, the fault address otherwise. */
export interface TranslateResult {
  fault: number;
  stage: number;
  level: number;
  addr: bigint;
}

/** The leaf entry that maps an address (Engine.leafEntry). */
export interface LeafEntry {
  /** 0 when found, else the FaultReason a walk would report (TRANSLATION, RESERVED, ADDRESS_SIZE, EXTERNAL). */
  fault: number;
  level: number;
  /** Host address of the entry; on a fault the entry that stopped the lookup (ADDRESS_SIZE: the input). */
  addr: bigint;
  /** The entry as it is in memory (0 when it could not be read). */
  value: bigint;
  /** log2 of the page the leaf maps; 0 on a fault. */
  pageShift: number;
}

/** Whether `value` is a whole number past 2^64 - 1 (an invalidation that long is the rest of the input). */
function pastU64(value: bigint | number): boolean {
  return typeof value === 'bigint' ? value > U64_MAX : Number.isInteger(value) && value >= 2 ** 64;
}

/** A u64 the core returns: Wasm hands every i64 to JavaScript as a signed BigInt. */
function unsigned(value: bigint): bigint {
  return BigInt.asUintN(64, value);
}

function geometry(value: { sets: number; ways: number } | false | undefined, fallback: { sets: number; ways: number }) {
  if (value === false) return { sets: 0, ways: 0 };
  return value ?? fallback;
}

export class Engine {
  readonly phys: EnginePhysicalMemory;
  readonly batch: Batch;
  readonly paBits: number;
  readonly hostAllocator: number;
  /** Space ids are 0..maxSpaces-1, group ids 0..maxGroups-1 (set at creation). */
  readonly maxSpaces: number;
  readonly maxGroups: number;
  private readonly views: MemoryViews;
  /** The pages each allocator hands out, by the memory they are in (-1 host, else the table space's input). */
  private readonly allocatorRanges: (Region & { id: number; tableSpace: number })[] = [];

  /** `options` as create() checked them: the regions resolved, defaults applied. */
  private constructor(
    readonly core: CoreExports,
    options: Required<Pick<EngineOptions, 'paBits' | 'maxSpaces' | 'maxGroups'>> & { tableRegion: Region; dataRegion: Region },
  ) {
    this.views = new MemoryViews(core.memory);
    this.paBits = options.paBits;
    this.maxSpaces = options.maxSpaces;
    this.maxGroups = options.maxGroups;
    const { tableRegion: tables, dataRegion: data } = options;
    this.phys = new EnginePhysicalMemory(core, this.views, data.base, data.limit);
    this.batch = new Batch(core, this.views);
    this.hostAllocator = this.createAllocator(tables.base, tables.limit);
  }

  static async create(options: EngineOptions = {}): Promise<Engine> {
    const o = { ...DEFAULTS, ...options };
    const iotlb = o.iotlb === false ? { sets: 0, ways: 0, replacement: 'lru' as const } : { ...DEFAULTS.iotlb, ...o.iotlb };
    const walk = geometry(o.walkCache, DEFAULTS.walkCache);
    const nested = geometry(o.nestedTableCache, DEFAULTS.nestedTableCache);
    checkWhole('Engine.create: walkers', o.walkers, 'BAD_GEOMETRY', 1, 32);
    checkWhole('Engine.create: paBits', o.paBits, 'BAD_GEOMETRY', 32, 46);
    const top = 1n << BigInt(o.paBits);
    const tables = checkRegion('Engine.create', 'tableRegion', o.tableRegion ?? { base: top / 2n, limit: top }, top, 'BAD_GEOMETRY');
    const data = checkRegion('Engine.create', 'dataRegion', o.dataRegion ?? { base: 0x10_0000n, limit: top / 2n }, top, 'BAD_GEOMETRY');
    if (overlaps(tables, data)) throw new EngineError('Engine.create: dataRegion overlaps tableRegion: data frames would be table pages', 'BAD_GEOMETRY');
    const frames = framesFor(o.physMemBytes);
    const tableRecords = o.tablePageRecords ?? Math.min(2 * frames + 1024 * o.maxAllocators, 0xFFFF_FFFF);
    const counts: [string, number, number][] = [
      ['maxSpaces', o.maxSpaces, 1], ['maxGroups', o.maxGroups, 1],
      ['maxAllocators', o.maxAllocators, 1], ['tablePageRecords', tableRecords, 0],
      ['faultRingEntries', o.faultRingEntries, 1], ['batchCapacity', o.batchCapacity, 1],
      ['iotlb.sets', iotlb.sets, 0], ['iotlb.ways', iotlb.ways, 0], ['walkCache.sets', walk.sets, 0],
      ['walkCache.ways', walk.ways, 0], ['nestedTableCache.sets', nested.sets, 0],
      ['nestedTableCache.ways', nested.ways, 0], ['rangeProbeLimit', o.rangeProbeLimit ?? 0, 0],
    ];
    for (const [name, value, min] of counts) checkWhole(`Engine.create: ${name}`, value, 'BAD_GEOMETRY', min);
    if (options.build !== undefined && options.wasm !== undefined) {
      throw new EngineError('Engine.create: give either build (a build by name) or wasm (the core itself), not both', 'BAD_WASM');
    }
    const core = await instantiateCore(o.build, options.wasm);
    const rc = core.init(o.paBits, frames, o.maxSpaces, o.maxGroups, o.maxAllocators, tableRecords, o.faultRingEntries,
      o.batchCapacity, iotlb.sets, iotlb.ways, Replacement[iotlb.replacement ?? 'lru'], walk.sets, walk.ways,
      nested.sets, nested.ways, o.rangeProbeLimit ?? 0, o.walkers);
    if (rc === -1) throw new EngineError('Engine.create: bad geometry (sets must be powers of two, ways 1..64, paBits 32..46, walkers 1..32, counts > 0, at most 2^24 spaces)', 'BAD_GEOMETRY');
    if (rc === -2) throw new EngineError('Engine.create: the configuration does not fit in 4 GiB of Wasm memory', 'NO_MEMORY');
    return new Engine(core, { ...o, tableRegion: tables, dataRegion: data });
  }

  /**
   * A table allocator over [base, limit) of host memory (below 2^paBits), or of
   * `tableSpace`'s input (guest RAM). The range must be 4 KiB aligned and must not
   * share a page with another allocator's over the same memory (both would hand it out).
   */
  createAllocator(base: bigint, limit: bigint, tableSpace = -1): number {
    const op = 'createAllocator';
    if (tableSpace !== -1) this.liveSpace(op, tableSpace, 'tableSpace');
    const range = checkRegion(op, undefined, { base, limit }, tableSpace === -1 ? 1n << BigInt(this.paBits) : U64_MAX, 'BAD_RANGE');
    // The allocator uses the first allocatorPageLimit() pages of the range at most.
    const cap = range.base + (BigInt(this.core.allocatorPageLimit()) << 12n);
    const used = { base: range.base, limit: range.limit < cap ? range.limit : cap };
    const other = this.allocatorRanges.find((r) => r.tableSpace === tableSpace && overlaps(r, used));
    if (other) throw new EngineError(`${op}: [0x${base.toString(16)}, 0x${limit.toString(16)}) overlaps allocator ${other.id}'s pages`, 'BAD_RANGE');
    // Host memory there is handed out as data frames too: a table page would be someone's data.
    if (tableSpace === -1 && overlaps({ base: this.phys.dataBase, limit: this.phys.dataLimit }, used)) {
      throw new EngineError(`${op}: [0x${base.toString(16)}, 0x${limit.toString(16)}) overlaps the data region (EngineOptions.dataRegion)`, 'BAD_RANGE');
    }
    const id = this.core.allocatorCreate(range.base, range.limit, tableSpace);
    if (id < 0) throw new EngineError(`${op}: no free allocator (EngineOptions.maxAllocators)`, 'BAD_ARGUMENT');
    this.allocatorRanges.push({ ...used, id, tableSpace });
    return id;
  }

  /** What an allocator holds: pages in its range, pages spaces hold, pages on its free list. */
  allocatorStats(allocator: number): { pages: number; inUse: number; free: number } {
    checkWhole('allocatorStats: allocator', allocator, 'BAD_ARGUMENT');
    const pages = this.core.allocatorPages(allocator);
    if (pages < 0) throw new EngineError(`allocatorStats: no allocator ${allocator}`, 'BAD_ARGUMENT');
    return { pages, inUse: this.core.allocatorPagesInUse(allocator), free: this.core.allocatorPagesFree(allocator) };
  }

  /** Table-page records not yet taken by any allocator (EngineOptions.tablePageRecords). */
  tableRecordsLeft(): number {
    return this.core.tableRecordsLeft();
  }

  createSpace(options: SpaceOptions): number {
    const op = 'createSpace';
    if (!Object.hasOwn(FormatId, options.format)) throw new EngineError(`${op}: unknown format ${String(options.format)}`, 'BAD_ARGUMENT');
    const format = FormatId[options.format];
    const levels = checkWhole(`${op}: levels`, options.levels, 'BAD_ARGUMENT');
    const supported: readonly number[] = FORMATS[options.format].levels;
    if (!supported.includes(levels)) throw new EngineError(`${op}: ${options.format} takes ${supported.join(', ')} levels, not ${levels}`, 'BAD_ARGUMENT');
    const parent = options.parent === undefined ? -1 : checkSpace(op, options.parent, 'parent');
    const group = checkWhole(`${op}: group`, options.group ?? 0, 'BAD_ARGUMENT');
    const allocator = checkWhole(`${op}: allocator`, options.allocator ?? this.hostAllocator, 'BAD_ARGUMENT');
    const root = options.root === undefined ? NO_ROOT : checkU64(`${op}: root`, options.root, 'BAD_RANGE');
    // All ones is the core's "owned" sentinel, and no page address.
    if (options.root !== undefined && root & 0xfffn) throw new EngineError(`${op}: root 0x${root.toString(16)} is not 4 KiB aligned`, 'BAD_RANGE');
    const flags = (options.ad ? 1 : 0) | (options.staleCheck ? 2 : 0);
    const id = this.core.createSpace(format, levels, parent, group, allocator, flags, root);
    if (id >= 0) return id;
    const why = ['', 'bad arguments (format/levels, group, parent, allocator or root alignment)', 'no free space slot', 'out of table memory',
      'space busy', 'out of table-page records (EngineOptions.tablePageRecords)'][-id];
    throw new EngineError(`createSpace: ${why}`, id === -3 ? 'NO_MEMORY' : id === -5 ? 'NO_METADATA' : 'BAD_ARGUMENT');
  }

  destroySpace(space: number): void {
    checkSpace('destroySpace', space);
    const rc = this.core.destroySpace(space);
    if (rc === -4) throw new EngineError('destroySpace: nested spaces still use it as their parent', 'BUSY');
    if (rc < 0) throw new EngineError(`destroySpace: no space ${space}`, 'BAD_SPACE');
  }

  setRoot(space: number, root: bigint): void {
    checkSpace('setRoot', space);
    if (this.core.setSpaceRoot(space, checkU64('setRoot: root', root, 'BAD_RANGE')) < 0) throw new EngineError('setRoot: the space does not exist, owns its tables, or the root is not page aligned', 'BAD_ARGUMENT');
  }

  /** Switches A/D and the stale check; an option left out keeps its current value. */
  setOptions(space: number, options: { ad?: boolean; staleCheck?: boolean }): void {
    checkSpace('setOptions', space);
    const now = this.core.spaceOptions(space);
    if (now < 0) throw new EngineError(`setOptions: no space ${space}`, 'BAD_SPACE');
    const ad = options.ad ?? (now & 1) !== 0;
    const staleCheck = options.staleCheck ?? (now & 2) !== 0;
    this.core.setSpaceOptions(space, (ad ? 1 : 0) | (staleCheck ? 2 : 0));
  }

  /** The space's current options. */
  options(space: number): { ad: boolean; staleCheck: boolean } {
    checkSpace('options', space);
    const now = this.core.spaceOptions(space);
    if (now < 0) throw new EngineError(`options: no space ${space}`, 'BAD_SPACE');
    return { ad: (now & 1) !== 0, staleCheck: (now & 2) !== 0 };
  }

  /** The root table address of a live space. */
  root(space: number): bigint {
    this.liveSpace('root', space);
    return unsigned(this.core.spaceRoot(space));
  }

  /** `perms` are Perm bits; iova, pa and size 4 KiB aligned (docs/wasm-abi.md). */
  map(space: number, iova: bigint | number, pa: bigint | number, size: bigint | number, perms: number): void {
    checkSpace('map', space);
    const rc = this.core.map(space, checkU64('map: iova', iova, 'BAD_RANGE'), checkU64('map: pa', pa, 'BAD_RANGE'),
      checkU64('map: size', size, 'BAD_RANGE'), checkBits('map: perms', perms));
    if (rc < 0) throw buildError('map', rc);
  }

  /** Returns the bytes that were mapped in the range and are now unmapped. */
  unmap(space: number, iova: bigint | number, size: bigint | number): bigint {
    checkSpace('unmap', space);
    const rc = this.core.unmap(space, checkU64('unmap: iova', iova, 'BAD_RANGE'), checkU64('unmap: size', size, 'BAD_RANGE'));
    if (rc < 0n) throw buildError('unmap', Number(rc));
    return rc;
  }

  /**
   * Per-access translation: the output address as a number, or -status (reason | stage
   * << 8 | level << 16; -7 for a space id that names no live space). `space` must be a
   * u32, `iova` a whole number below 2^64 and `access` Access bits: anything else
   * throws, before the core converts it into another request.
   */
  translateRaw(space: number, iova: number, access: number): number {
    if (!(isU32(space) && isU64Number(iova) && isAccessBits(access))) refuseRequest('translateRaw', space, iova, access);
    return this.core.translateOne(space, iova % TWO32, Math.floor(iova / TWO32), access);
  }

  /** One translation through the IOTLB; a space id that names no live space gives fault 7 (address 0). */
  translate(space: number, iova: bigint | number, access: number): TranslateResult {
    const big = this.request('translate', space, iova, access);
    const low = Number(big & 0xffff_ffffn);
    const high = Number(big >> 32n);
    const out = this.core.translateOne(space, low, high, access);
    if (out >= 0) return { fault: 0, stage: 0, level: 0, addr: BigInt(out) };
    const status = -out;
    // No walk ran for a dead space: lastAddr would be another request's.
    const addr = status === STATUS_BAD_SPACE ? 0n : unsigned(this.core.lastAddr());
    return { fault: status & 0xff, stage: (status >> 8) & 0xff, level: (status >> 16) & 0xff, addr };
  }

  /** The checked IOVA of a request on a cold path (translate, walk). */
  private request(operation: string, space: number, iova: bigint | number, access: number): bigint {
    checkSpace(operation, space);
    checkBits(`${operation}: access`, access);
    return checkU64(`${operation}: iova`, iova, 'BAD_RANGE');
  }

  /** Throws BAD_SPACE unless `space` (the argument called `name`) is a live space id. */
  private liveSpace(operation: string, space: number, name = 'space'): void {
    checkSpace(operation, space, name);
    if (!this.core.spaceLive(space)) throw new EngineError(`${operation}: ${name === 'space' ? '' : `${name}: `}no space ${space}`, 'BAD_SPACE');
  }

  /**
   * One walk with no IOTLB, returning everything the walker knows (the shape the
   * oracle returns). `writeAd` lets the walk set A/D bits; `walkCaches` uses them —
   * except on a space (or parent) with A/D on when `writeAd` is off: such a walk sets
   * no A bit, so it neither uses nor fills the caches (a later walk starting from an
   * entry it cached would skip A bits that are due).
   */
  walk(space: number, iova: bigint | number, access: number, opts: { writeAd?: boolean; walkCaches?: boolean } = {}): Translation {
    const flags = (opts.walkCaches ? 1 : 0) | (opts.writeAd ? 2 : 0);
    const reason = this.core.walkOnly(space, this.request('walk', space, iova, access), access, flags);
    if (reason === 7) throw new EngineError(`walk: no space ${space}`, 'BAD_SPACE');
    if (reason) return { fault: reason, stage: this.core.lastStage(), level: this.core.lastLevel(), addr: unsigned(this.core.lastAddr()), perms: 0, pageShift: 0 };
    return { fault: 0, stage: 0, level: this.core.lastLevel(), addr: unsigned(this.core.lastAddr()), perms: this.core.lastPerms(), pageShift: this.core.lastShift() };
  }

  /**
   * The output address for `addr` by a walk that uses no cache, sets no A/D bit and
   * counts nothing (as the builder resolves guest tables); undefined when it faults
   * for READ|WRITE.
   */
  resolve(space: number, addr: bigint | number): bigint | undefined {
    // The core walks whatever record the id indexes: a dead or out-of-range id must not get there.
    this.liveSpace('resolve', space);
    const out = BigInt.asUintN(64, this.core.resolveThroughSpace(space, checkU64('resolve: addr', addr, 'BAD_RANGE')));
    return out === 0xffff_ffff_ffff_ffffn ? undefined : out;
  }

  /**
   * The leaf entry of a single-stage space that maps `iova`, read without caches, A/D
   * writes or counters: what a driver needs to read or set per-page bits itself.
   */
  leafEntry(space: number, iova: bigint | number): LeafEntry {
    checkSpace('leafEntry', space);
    const status = this.core.leafEntry(space, checkU64('leafEntry: iova', iova, 'BAD_RANGE'));
    if (status === 7) throw new EngineError(`leafEntry: no space ${space}`, 'BAD_SPACE');
    if (status === 8) throw new EngineError('leafEntry: a nested space\'s tables are GPAs (single-stage spaces only)', 'BAD_SPACE');
    const level = this.core.leafLevel();
    return {
      fault: status, level, addr: unsigned(this.core.leafAddress()), value: unsigned(this.core.leafValue()),
      pageShift: status === 0 ? this.core.leafPageShift() : 0,
    };
  }

  /**
   * Dirty leaves of [iova, iova+size) of a single-stage space as a bitmap over pages
   * of `pageSize` bytes (a power of two; iova and size aligned to it and to 4 KiB),
   * as IOMMU_HWPT_GET_DIRTY_BITMAP reports them: bit i is set when a dirty leaf
   * overlaps [iova + i*pageSize, +pageSize). `clear` clears the D bits of the leaves
   * found (the whole leaf, also where it reaches past the range). Clearing does not
   * invalidate: invalidate the range afterwards (leafOnly is enough), or a write that
   * hits a cached translation will not set D again (docs/formats.md).
   */
  readDirty(space: number, iova: bigint | number, size: bigint | number, pageSize: bigint | number,
    options: { clear?: boolean } = {}): DirtyBitmap {
    return readDirtyBitmap(this.core, this.views, space, iova, size, pageSize, options.clear ?? false);
  }

  /** Clears the D bit of every leaf in [iova, iova+size) (4 KiB aligned); invalidate afterwards as after readDirty. */
  clearDirty(space: number, iova: bigint | number, size: bigint | number): DirtyScan {
    return clearDirtyRange(this.core, this.views, space, iova, size);
  }

  /** Ids of the live spaces, ascending. */
  spaces(): number[] {
    const ids: number[] = [];
    for (let id = this.core.nextLiveSpace(0); id >= 0; id = this.core.nextLiveSpace(id + 1)) ids.push(id);
    return ids;
  }

  /**
   * Drops what is cached for [iova, iova+bytes) of `space` (nothing for an id that names
   * no live space). A range past 2^64 — bytes of 2^64 or more included — is the rest of
   * the input space: an invalidation may always cover more, never less.
   */
  invalidateRange(space: number, iova: bigint | number, bytes: bigint | number, leafOnly = false): void {
    checkSpace('invalidateRange', space);
    const first = checkU64('invalidateRange: iova', iova, 'BAD_RANGE');
    const size = checkU64('invalidateRange: bytes', pastU64(bytes) ? U64_MAX : bytes, 'BAD_RANGE');
    this.core.invalidateRange(space, first, size, leafOnly ? 1 : 0);
  }

  /** Everything cached for `space` (nothing for an id that names no live space). */
  invalidateSpace(space: number): void {
    checkSpace('invalidateSpace', space);
    this.core.invalidateSpace(space);
  }

  /**
   * invalidateSpace for every id in `spaces`, passed through the batch ring's space
   * column (which it overwrites): a queue of PASID invalidations without a call per id.
   */
  invalidateSpaces(spaces: ArrayLike<number>): void {
    const column = this.batch.space;
    const capacity = this.batch.capacity;
    // Each id is checked as it is copied (the column would convert it); a list longer
    // than the ring has the rest checked first, so a bad id invalidates nothing.
    for (let i = capacity; i < spaces.length; i++) if (!isU32(spaces[i]!)) checkSpace('invalidateSpaces', spaces[i]!);
    for (let start = 0; start < spaces.length; start += capacity) {
      const n = Math.min(capacity, spaces.length - start);
      for (let i = 0; i < n; i++) {
        const id = spaces[start + i]!;
        if (!isU32(id)) checkSpace('invalidateSpaces', id);
        column[i] = id;
      }
      this.core.invalidateSpaceList(n);
    }
  }

  invalidateWalkCaches(space: number): void {
    checkSpace('invalidateWalkCaches', space);
    this.core.invalidateWalkCaches(space);
  }

  invalidateGroup(group: number): void {
    checkWhole('invalidateGroup: group', group, 'BAD_ARGUMENT');
    this.core.invalidateGroup(group);
  }

  invalidateAll(): void { this.core.invalidateAll(); }

  counters(): Counters {
    this.core.syncCounters();
    const base = this.core.counters();
    const dv = this.views.get().dv;
    const out = {} as Counters;
    COUNTER_NAMES.forEach((name, i) => { out[name] = Number(dv.getBigUint64(base + i * 8, true)); });
    return out;
  }

  resetCounters(): void {
    this.core.resetCounters();
  }

  /**
   * Fault records produced since the last drain (oldest first). When the ring was
   * full the newest faults were dropped: `sequence` numbers every fault raised, so
   * a jump between consecutive records is the number lost there (see faultsLost).
   */
  drainFaults(): FaultRecord[] {
    return readFaults(this.core, this.views.get());
  }

  /** Fault records dropped because the ring was full, since creation (resetCounters leaves it). */
  faultsLost(): number {
    return this.core.faultsLost() >>> 0;
  }

  /** Bytes of linear memory the engine uses besides the frame pool (simulated physical memory). */
  metadataBytes(): number {
    return this.core.memoryEnd() - this.poolBytes();
  }

  private poolBytes(): number {
    return (this.core.physFramesUsed() + this.core.physFramesAvailable()) * 4096;
  }

  iotlbEntries(): number { return this.core.iotlbEntries(); }
}
