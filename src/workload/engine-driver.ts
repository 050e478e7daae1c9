// Executes operations on the engine the way the hardware would see them: maps and
// unmaps go to the space's tables, invalidations to the IOTLB and walk caches, and
// DMAs are split into device requests and translated through `engine.batch`. DMA
// requests are queued and run in batches; any other operation first runs the queue,
// so the engine sees the operations in the order they were emitted.
import { Access, Engine, type Counters } from '../engine/index.js';
import type { DmaAccessCode, OpSink } from './ops.js';
import type { Topology } from './topology.js';

const ACCESS_BITS = [Access.READ, Access.WRITE, Access.EXEC];
const TWO32 = 2 ** 32;
const PAGE = 4096;

/** Key of a (device, PASID) pair; PASID -1 (none) maps to 0. */
function requester(device: number, pasid: number): number {
  return device * 2 ** 21 + (pasid + 1);
}

/** `paBits`: host address bits (the engine's default when absent); a replay of real machines' addresses needs more. */
export async function createEngine(topology: Topology, host: { paBits?: number } = {}): Promise<Engine> {
  const g = topology.engine;
  return Engine.create({
    iotlb: g.iotlb, walkCache: g.walkCache, nestedTableCache: g.nestedTableCache, physMemBytes: g.physMemBytes,
    ...(g.walkers === undefined ? {} : { walkers: g.walkers }),
    ...(host.paBits === undefined ? {} : { paBits: host.paBits }),
  });
}

/**
 * Creates the topology's spaces on first use: a nested space's root table is
 * allocated in guest RAM, so it can only be created once its parent maps that RAM
 * (the stage-2 map records come first in every trace).
 */
class SpaceTable {
  private readonly ids: (number | undefined)[];
  private readonly allocators = new Map<string, number>();
  constructor(private readonly engine: Engine, private readonly specs: Topology['spaces']) {
    this.ids = new Array(specs.length).fill(undefined);
  }

  nested(index: number): boolean {
    return this.specs[index]?.parent !== undefined;
  }

  id(index: number): number {
    const known = this.ids[index];
    if (known !== undefined) return known;
    const spec = this.specs[index];
    if (!spec) throw new RangeError(`operation names space ${index}, which the topology does not have`);
    const parent = spec.parent === undefined ? undefined : this.id(spec.parent);
    let allocator: number | undefined;
    if (parent !== undefined && spec.tables) {
      const key = `${parent}:${spec.tables.base}:${spec.tables.limit}`;
      allocator = this.allocators.get(key);
      if (allocator === undefined) {
        allocator = this.engine.createAllocator(BigInt(spec.tables.base), BigInt(spec.tables.limit), parent);
        this.allocators.set(key, allocator);
      }
    }
    const id = this.engine.createSpace({
      format: spec.format, levels: spec.levels, group: spec.group,
      ...(parent === undefined ? {} : { parent }),
      ...(allocator === undefined ? {} : { allocator }),
    });
    this.ids[index] = id;
    return id;
  }
}

export class EngineDriver implements OpSink {
  /** DMA requests translated, and those that faulted. */
  translations = 0;
  faults = 0;
  /** Nanoseconds spent inside batch translation. */
  engineNs = 0;
  private pending = 0;
  private readonly capacity: number;
  /** (device, PASID) key -> topology space index. */
  private readonly requesters = new Map<number, number>();
  private readonly requestBytes: number;
  private readonly spaces: SpaceTable;

  constructor(readonly engine: Engine, topology: Topology) {
    this.capacity = engine.batch.capacity;
    this.requestBytes = topology.requestBytes;
    this.spaces = new SpaceTable(engine, topology.spaces);
    for (const d of topology.devices) this.requesters.set(requester(d.device, d.pasid ?? -1), d.space);
  }

  private space(index: number): number {
    return this.spaces.id(index);
  }

  map(space: number, iova: number, addr: number, bytes: number, perms: number): void {
    this.flush();
    const id = this.space(space);
    this.excludingBuilderReads(space, () => this.engine.map(id, iova, addr, bytes, perms));
  }

  unmap(space: number, iova: number, bytes: number): void {
    this.flush();
    const id = this.space(space);
    this.excludingBuilderReads(space, () => this.engine.unmap(id, iova, bytes));
  }

  /**
   * Page-table reads and stage-2 walks the builder made while mapping or unmapping
   * in a nested space (it resolves the GPAs of the guest's tables through the
   * parent, and the core counts those reads with the translations'): kept apart so
   * per-translation figures describe translations only.
   */
  readonly builder = { pteReads: 0, stage2Walks: 0, walks: 0 };

  private excludingBuilderReads(space: number, operation: () => void): void {
    if (!this.spaces.nested(space)) return operation();
    const before = this.engine.counters();
    operation();
    const after = this.engine.counters();
    this.builder.pteReads += after.pteReads - before.pteReads;
    this.builder.stage2Walks += after.stage2Walks - before.stage2Walks;
    this.builder.walks += after.walks - before.walks;
  }

  invalidateRange(space: number, iova: number, bytes: number, leafOnly: boolean): void {
    this.flush();
    this.engine.invalidateRange(this.space(space), iova, bytes, leafOnly);
  }

  invalidateSpace(space: number): void {
    this.flush();
    this.engine.invalidateSpace(this.space(space));
  }

  invalidateGroup(group: number): void {
    this.flush();
    this.engine.invalidateGroup(group);
  }

  invalidateAll(): void {
    this.flush();
    this.engine.invalidateAll();
  }

  dma(device: number, pasid: number, iova: number, bytes: number, access: DmaAccessCode): void {
    const index = this.requesters.get(requester(device, pasid)) ?? (pasid < 0 ? device : undefined);
    if (index === undefined) throw new RangeError(`no space bound to device ${device} PASID ${pasid}`);
    const space = this.space(index);
    const bits = ACCESS_BITS[access]!;
    const batch = this.engine.batch;
    const iovaWords = batch.iova;
    const spaceSlots = batch.space;
    const accessSlots = batch.access;
    const step = this.requestBytes;
    const end = iova + Math.max(bytes, 1);
    for (let at = iova; at < end;) {
      if (this.pending === this.capacity) this.flush();
      const i = this.pending++;
      iovaWords[2 * i] = at % TWO32;
      iovaWords[2 * i + 1] = Math.floor(at / TWO32);
      spaceSlots[i] = space;
      accessSlots[i] = bits;
      // Requests never cross a 4 KiB boundary (PCIe) nor exceed the payload size.
      const nextRequest = at - (at % step) + step;
      const nextPage = at - (at % PAGE) + PAGE;
      at = nextRequest < nextPage ? nextRequest : nextPage;
    }
  }

  resetBuilderCounts(): void {
    this.builder.pteReads = 0;
    this.builder.stage2Walks = 0;
    this.builder.walks = 0;
  }

  /** The engine's counters with the builder's table reads taken out. */
  translationCounters(): Counters {
    const c = this.engine.counters();
    return { ...c, pteReads: c.pteReads - this.builder.pteReads, stage2Walks: c.stage2Walks - this.builder.stage2Walks, walks: c.walks - this.builder.walks };
  }

  /** Translates the queued requests. */
  flush(): void {
    const n = this.pending;
    if (n === 0) return;
    this.pending = 0;
    const started = performance.now();
    this.faults += this.engine.batch.run(n);
    this.engineNs += (performance.now() - started) * 1e6;
    this.translations += n;
  }
}
