// Bad input is normal input (docs/DESIGN.md §3): every public method of the engine
// classes that takes an id, an address, a size, a count, an index or flags gets junk.
// On its way into the core JavaScript would convert it silently — a number for an i32
// through ToInt32 (1.5 -> 1, 2^32 + 1 -> 1, NaN -> 0), a BigInt for an i64 through
// BigInt.asIntN(64) (2^64 + x -> x, -1n -> all ones) — and most of the junk below is
// chosen to land on something live that way: space 0 or 1, the mapped IOVA. Each call
// must be refused with an error naming the argument (an EngineError; a RangeError from
// EnginePhysicalMemory, as FrameStore documents) or give the documented result, and
// everything stored — translations, caches, counters, memory, the batch ring — stays.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Access, Engine, EngineError, FaultReason, Perm } from '../../src/engine/index.js';

const RW = Perm.R | Perm.W;
const K4 = 0x1000n;
const PA_BITS = 40;
const TOP = 1n << BigInt(PA_BITS);
const TWO64 = 1n << 64n;
const MAX_SPACES = 8;
const MAX_GROUPS = 4;
const CAPACITY = 8;
/** Four pages mapped in spaces a and b; only the first has been translated. */
const IOVA = 0x1000_0000n;
/** Walked for the snapshot: the first, second and last mapped page and the one after. */
const PROBES = [IOVA, IOVA + K4, IOVA + 3n * K4, IOVA + 4n * K4];
/** Unmapped everywhere: a map there would succeed. */
const FREE = 0x2000_0000n;
const PA = 0x4000_0000n;
/** A host range no allocator uses yet. */
const SPARE = { base: 0x8000_0000n, limit: 0x8010_0000n };

type Kind = 'id' | 'u64' | 'number-u64' | 'bits' | 'index' | 'count' | 'bytes' | 'length';

/** Junk for each kind of argument, and values just past its documented range. */
const JUNK: Record<Kind, unknown[]> = {
  id: [-1, -(2 ** 31), 0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 32, 2 ** 32 + 1, 2 ** 53, 1n],
  u64: [-1n, -K4, IOVA - TWO64, TWO64, TWO64 + IOVA, TWO64 + FREE, -4096, 0.5, Number(IOVA) + 0.5, NaN, Infinity, -Infinity, 2 ** 64, 2 ** 64 + Number(IOVA)],
  'number-u64': [-4096, -1, 0.5, Number(IOVA) + 0.5, NaN, Infinity, -Infinity, 2 ** 64, 2 ** 64 + Number(IOVA), IOVA],
  bits: [-1, 0.5, 1.5, NaN, Infinity, 16, 0x13, 2 ** 31, 2 ** 32 + 1, 1n],
  index: [-1, 0.5, 1.5, NaN, Infinity, CAPACITY, CAPACITY + 1, 2 ** 32, 2 ** 32 + 1, 1n],
  count: [-1, 0.5, 1.5, NaN, Infinity, CAPACITY + 1, 2 ** 32, 2 ** 32 + 1, 1n],
  /** An invalidation's length: past 2^64 is documented (the rest of the input space), so only these. */
  bytes: [-1n, -K4, -4096, 0.5, NaN, Infinity, -Infinity],
  length: [-1, 0.5, 1.5, NaN, Infinity, 2 ** 32, 2 ** 53, 1n],
};

interface World {
  e: Engine;
  /** x86-64 (id 0) and vtd-ss (id 1, group 1), both mapping PROBES; g (id 2) reads a's tables at a root of its own. */
  a: number;
  b: number;
  g: number;
  data: bigint;
}

async function world(build: 'debug' | 'release'): Promise<World> {
  const e = await Engine.create({
    build, paBits: PA_BITS, physMemBytes: 16 << 20, maxSpaces: MAX_SPACES, maxGroups: MAX_GROUPS, batchCapacity: CAPACITY, faultRingEntries: 16,
    // Data frames end below SPARE: host memory a spare allocator may take.
    dataRegion: { base: 0x10_0000n, limit: SPARE.base },
  });
  const a = e.createSpace({ format: 'x86-64', levels: 4 });
  const b = e.createSpace({ format: 'vtd-ss', levels: 4, group: 1 });
  const g = e.createSpace({ format: 'x86-64', levels: 4, root: e.root(a) });
  e.map(a, IOVA, PA, 4n * K4, RW);
  e.map(b, IOVA, PA + 0x10_0000n, 4n * K4, Perm.R);
  for (const s of [a, b]) e.translate(s, IOVA, Access.READ);
  const data = e.phys.allocFrame()!;
  e.phys.write(data, Uint8Array.from({ length: 64 }, (_, i) => i * 7));
  for (let i = 0; i < CAPACITY; i++) e.batch.set(i, i % 2 ? b : a, Number(IOVA) + i * 8, Access.READ);
  e.batch.run(CAPACITY);
  return { e, a, b, g, data };
}

function attempt<T>(f: () => T): T | string {
  try { return f(); } catch (error) { return String(error); }
}

/** Everything a junk call could have changed, read without changing anything. */
function snapshot(w: World) {
  const { e } = w;
  const ring = e.batch;
  return {
    counters: e.counters(),
    spaces: e.spaces(),
    each: [w.a, w.b, w.g].map((s) => attempt(() => ({
      options: e.options(s), root: e.root(s), leaf: e.leafEntry(s, IOVA),
      walks: [...PROBES, FREE].map((iova) => e.walk(s, iova, Access.READ)),
    }))),
    allocator: e.allocatorStats(e.hostAllocator),
    records: e.tableRecordsLeft(),
    frames: e.phys.framesInUse(),
    data: Array.from(e.phys.read(w.data, 64)),
    faultsLost: e.faultsLost(),
    // Not the space column: invalidateSpaces takes it as scratch (documented).
    ring: [ring.iova, ring.access, ring.out, ring.status].map((column) => Array.from(column)),
  };
}

/** The IOTLB still holds each space's first page and the walk caches its tables: nothing was invalidated. */
function expectCachesWarm(w: World): void {
  const before = w.e.counters();
  for (const s of [w.a, w.b]) {
    expect(w.e.translate(s, IOVA, Access.READ).fault).toBe(0);
    expect(w.e.translate(s, IOVA + K4, Access.READ).fault).toBe(0);
  }
  const after = w.e.counters();
  expect(after.walks - before.walks, 'walks: only the two pages never translated').toBe(2);
  expect(after.walkCacheHits - before.walkCacheHits, 'both walks start from a cached table').toBe(2);
}

/** `call` throws `type` with a message matching `names`. */
function expectRefused(call: () => unknown, names: RegExp, type: abstract new (...args: never[]) => Error = EngineError): void {
  let thrown: unknown;
  let returned: unknown;
  try { returned = call(); } catch (error) { thrown = error; }
  expect(thrown, `returned ${String(returned)} instead of throwing`).toBeInstanceOf(type);
  expect((thrown as Error).message).toMatch(names);
}

interface Slot {
  /** "method: argument", as the error message names it. */
  name: string;
  kind: Kind;
  call(w: World, junk: never): unknown;
  /** EnginePhysicalMemory refuses with a RangeError. */
  range?: true;
  /** Values of the kind's junk list this argument takes (createAllocator's tableSpace -1: host memory). */
  valid?: unknown[];
}

const R = Access.READ;
const SLOTS: Slot[] = [
  { name: 'createAllocator: base', kind: 'u64', call: (w, x) => w.e.createAllocator(x, SPARE.limit) },
  { name: 'createAllocator: limit', kind: 'u64', call: (w, x) => w.e.createAllocator(SPARE.base, x) },
  { name: 'createAllocator: tableSpace', kind: 'id', valid: [-1], call: (w, x) => w.e.createAllocator(SPARE.base, SPARE.limit, x) },
  { name: 'allocatorStats: allocator', kind: 'id', call: (w, x) => w.e.allocatorStats(x) },
  { name: 'createSpace: levels', kind: 'id', call: (w, x) => w.e.createSpace({ format: 'x86-64', levels: x }) },
  { name: 'createSpace: parent', kind: 'id', call: (w, x) => w.e.createSpace({ format: 'x86-64', levels: 4, parent: x, root: K4 }) },
  { name: 'createSpace: group', kind: 'id', call: (w, x) => w.e.createSpace({ format: 'x86-64', levels: 4, group: x }) },
  { name: 'createSpace: allocator', kind: 'id', call: (w, x) => w.e.createSpace({ format: 'x86-64', levels: 4, allocator: x }) },
  { name: 'createSpace: root', kind: 'u64', call: (w, x) => w.e.createSpace({ format: 'x86-64', levels: 4, root: x }) },
  { name: 'destroySpace: space', kind: 'id', call: (w, x) => w.e.destroySpace(x) },
  { name: 'setRoot: space', kind: 'id', call: (w, x) => w.e.setRoot(x, K4) },
  { name: 'setRoot: root', kind: 'u64', call: (w, x) => w.e.setRoot(w.g, x) },
  { name: 'setOptions: space', kind: 'id', call: (w, x) => w.e.setOptions(x, { ad: true }) },
  { name: 'options: space', kind: 'id', call: (w, x) => w.e.options(x) },
  { name: 'root: space', kind: 'id', call: (w, x) => w.e.root(x) },
  { name: 'map: space', kind: 'id', call: (w, x) => w.e.map(x, FREE, PA, K4, RW) },
  { name: 'map: iova', kind: 'u64', call: (w, x) => w.e.map(w.a, x, PA, K4, RW) },
  { name: 'map: pa', kind: 'u64', call: (w, x) => w.e.map(w.a, FREE, x, K4, RW) },
  { name: 'map: size', kind: 'u64', call: (w, x) => w.e.map(w.a, FREE, PA, x, RW) },
  { name: 'map: perms', kind: 'bits', call: (w, x) => w.e.map(w.a, FREE, PA, K4, x) },
  { name: 'unmap: space', kind: 'id', call: (w, x) => w.e.unmap(x, IOVA, K4) },
  { name: 'unmap: iova', kind: 'u64', call: (w, x) => w.e.unmap(w.a, x, K4) },
  { name: 'unmap: size', kind: 'u64', call: (w, x) => w.e.unmap(w.a, IOVA, x) },
  { name: 'translateRaw: space', kind: 'id', call: (w, x) => w.e.translateRaw(x, Number(IOVA), R) },
  { name: 'translateRaw: iova', kind: 'number-u64', call: (w, x) => w.e.translateRaw(w.a, x, R) },
  { name: 'translateRaw: access', kind: 'bits', call: (w, x) => w.e.translateRaw(w.a, Number(IOVA), x) },
  { name: 'translate: space', kind: 'id', call: (w, x) => w.e.translate(x, IOVA, R) },
  { name: 'translate: iova', kind: 'u64', call: (w, x) => w.e.translate(w.a, x, R) },
  { name: 'translate: access', kind: 'bits', call: (w, x) => w.e.translate(w.a, IOVA, x) },
  { name: 'walk: space', kind: 'id', call: (w, x) => w.e.walk(x, IOVA, R, { walkCaches: true, writeAd: true }) },
  { name: 'walk: iova', kind: 'u64', call: (w, x) => w.e.walk(w.a, x, R, { walkCaches: true, writeAd: true }) },
  { name: 'walk: access', kind: 'bits', call: (w, x) => w.e.walk(w.a, IOVA, x, { walkCaches: true, writeAd: true }) },
  { name: 'resolve: space', kind: 'id', call: (w, x) => w.e.resolve(x, IOVA) },
  { name: 'resolve: addr', kind: 'u64', call: (w, x) => w.e.resolve(w.a, x) },
  { name: 'leafEntry: space', kind: 'id', call: (w, x) => w.e.leafEntry(x, IOVA) },
  { name: 'leafEntry: iova', kind: 'u64', call: (w, x) => w.e.leafEntry(w.a, x) },
  { name: 'readDirty: space', kind: 'id', call: (w, x) => w.e.readDirty(x, IOVA, 4n * K4, K4) },
  { name: 'readDirty: iova', kind: 'u64', call: (w, x) => w.e.readDirty(w.a, x, 4n * K4, K4) },
  { name: 'readDirty: size', kind: 'u64', call: (w, x) => w.e.readDirty(w.a, IOVA, x, K4) },
  { name: 'readDirty: pageSize', kind: 'u64', call: (w, x) => w.e.readDirty(w.a, IOVA, 4n * K4, x) },
  { name: 'clearDirty: space', kind: 'id', call: (w, x) => w.e.clearDirty(x, IOVA, 4n * K4) },
  { name: 'clearDirty: iova', kind: 'u64', call: (w, x) => w.e.clearDirty(w.a, x, 4n * K4) },
  { name: 'clearDirty: size', kind: 'u64', call: (w, x) => w.e.clearDirty(w.a, IOVA, x) },
  { name: 'invalidateRange: space', kind: 'id', call: (w, x) => w.e.invalidateRange(x, IOVA, K4) },
  { name: 'invalidateRange: iova', kind: 'u64', call: (w, x) => w.e.invalidateRange(w.a, x, K4) },
  { name: 'invalidateRange: bytes', kind: 'bytes', call: (w, x) => w.e.invalidateRange(w.a, IOVA, x) },
  { name: 'invalidateSpace: space', kind: 'id', call: (w, x) => w.e.invalidateSpace(x) },
  { name: 'invalidateWalkCaches: space', kind: 'id', call: (w, x) => w.e.invalidateWalkCaches(x) },
  { name: 'invalidateGroup: group', kind: 'id', call: (w, x) => w.e.invalidateGroup(x) },
  { name: 'invalidateSpaces: space', kind: 'id', call: (w, x) => w.e.invalidateSpaces([w.b, x]) },
  { name: 'Batch.set: index', kind: 'index', call: (w, x) => w.e.batch.set(x, w.a, Number(FREE), R) },
  { name: 'Batch.set: space', kind: 'id', call: (w, x) => w.e.batch.set(0, x, Number(FREE), R) },
  { name: 'Batch.set: iova', kind: 'number-u64', call: (w, x) => w.e.batch.set(0, w.a, x, R) },
  { name: 'Batch.set: access', kind: 'bits', call: (w, x) => w.e.batch.set(0, w.a, Number(FREE), x) },
  { name: 'Batch.run: count', kind: 'count', call: (w, x) => w.e.batch.run(x) },
  { name: 'Batch.outAt: index', kind: 'index', call: (w, x) => w.e.batch.outAt(x) },
  { name: 'read64: pa', kind: 'u64', range: true, call: (w, x) => w.e.phys.read64(x) },
  { name: 'write64: pa', kind: 'u64', range: true, call: (w, x) => w.e.phys.write64(x, 0x5an) },
  { name: 'read: pa', kind: 'u64', range: true, call: (w, x) => w.e.phys.read(x, 8) },
  { name: 'read: length', kind: 'length', range: true, call: (w, x) => w.e.phys.read(w.data, x) },
  { name: 'write: pa', kind: 'u64', range: true, call: (w, x) => w.e.phys.write(x, new Uint8Array(8)) },
  { name: 'freeFrame: pa', kind: 'u64', range: true, call: (w, x) => w.e.phys.freeFrame(x) },
];

/** Refused, naming the slot's argument, with nothing changed. */
function expectJunkRefused(w: World, slot: Slot, junk: unknown): void {
  const before = snapshot(w);
  const label = `${slot.name} <- ${typeof junk === 'bigint' ? `${junk}n` : String(junk)}`;
  const names = new RegExp(`^${slot.name}\\b`);
  expect(() => expectRefused(() => slot.call(w, junk as never), names, slot.range ? RangeError : EngineError), label).not.toThrow();
  expect(snapshot(w), label).toEqual(before);
}

/** fast-check values of each kind that no u32 (or u64) parameter takes unchanged. */
const notU32 = fc.oneof(
  fc.double().filter((x) => !(Number.isInteger(x) && x >= 0 && x < 2 ** 32)),
  fc.tuple(fc.integer({ min: 1, max: 2 ** 20 }), fc.integer({ min: 0, max: 3 })).map(([high, low]) => high * 2 ** 32 + low),
  fc.integer({ min: -(2 ** 31), max: -2 }),
  fc.bigInt({ min: -4n, max: 4n }),
);
const notU64 = fc.oneof(
  fc.bigInt({ min: -(1n << 70n), max: -1n }),
  fc.tuple(fc.bigInt({ min: 1n, max: 64n }), fc.constantFrom(0n, IOVA, FREE)).map(([wraps, at]) => at + wraps * TWO64),
  fc.double().filter((x) => !(Number.isInteger(x) && x >= 0 && x < 2 ** 64)),
);
const ARBITRARY: Partial<Record<Kind, fc.Arbitrary<unknown>>> = {
  id: notU32,
  u64: notU64,
  'number-u64': fc.double().filter((x) => !(Number.isInteger(x) && x >= 0 && x < 2 ** 64)),
  bits: fc.oneof(notU32, fc.integer({ min: 16, max: 2 ** 32 - 1 })),
  index: fc.oneof(notU32, fc.integer({ min: CAPACITY, max: 2 ** 32 - 1 })),
  count: fc.oneof(notU32, fc.integer({ min: CAPACITY + 1, max: 2 ** 32 - 1 })),
};

describe.each(['debug', 'release'] as const)('bad input to the engine API (%s build)', (build) => {
  it.each(SLOTS.map((slot) => [slot.name, slot] as const))('%s: junk is refused and changes nothing', async (_name, slot) => {
    const w = await world(build);
    for (const junk of JUNK[slot.kind].filter((x) => !slot.valid?.includes(x))) expectJunkRefused(w, slot, junk);
    expectCachesWarm(w);
  });

  it('property: random junk in any argument is refused and changes nothing', async () => {
    const w = await world(build);
    const slots = SLOTS.filter((slot) => ARBITRARY[slot.kind]);
    fc.assert(fc.property(
      fc.constantFrom(...slots).chain((slot) => fc.tuple(fc.constant(slot), ARBITRARY[slot.kind]!.filter((x) => !slot.valid?.includes(x)))),
      ([slot, junk]) => { expectJunkRefused(w, slot, junk); },
    ), { numRuns: 400 });
    expectCachesWarm(w);
  });

  it('ids past the configured range (and of destroyed spaces) get each method\'s documented answer', async () => {
    const w = await world(build);
    const { e } = w;
    const dead = e.createSpace({ format: 'x86-64', levels: 4 });
    e.destroySpace(dead);
    const before = snapshot(w);
    for (const space of [MAX_SPACES, 2 ** 32 - 1, dead]) {
      for (const call of [
        () => e.destroySpace(space), () => e.setOptions(space, { ad: true }), () => e.options(space), () => e.root(space),
        () => e.walk(space, IOVA, R), () => e.resolve(space, IOVA), () => e.leafEntry(space, IOVA), () => e.setRoot(space, K4),
      ]) expectRefused(call, /no space|does not exist/);
      for (const call of [
        () => e.map(space, FREE, PA, K4, RW), () => e.unmap(space, IOVA, K4), () => e.readDirty(space, IOVA, K4, K4), () => e.clearDirty(space, IOVA, K4),
      ]) expectRefused(call, /no such space/);
      // Translation reports "no such space" as status 7; invalidations skip such ids.
      expect(e.translateRaw(space, Number(IOVA), R)).toBe(-7);
      expect(e.translate(space, IOVA, R)).toEqual({ fault: 7, stage: 0, level: 0, addr: 0n });
      e.invalidateRange(space, IOVA, K4);
      e.invalidateSpace(space);
      e.invalidateWalkCaches(space);
      e.invalidateSpaces([space]);
    }
    e.invalidateGroup(MAX_GROUPS);
    expectRefused(() => e.createSpace({ format: 'x86-64', levels: 4, group: MAX_GROUPS }), /createSpace: .*group/);
    expectRefused(() => e.createSpace({ format: 'x86-64', levels: 4, parent: MAX_SPACES, root: K4 }), /createSpace: .*parent/);
    expectRefused(() => e.allocatorStats(64), /no allocator 64/);
    expectRefused(() => e.createAllocator(SPARE.base, SPARE.limit, dead), /createAllocator: .*no space/);
    expectRefused(() => e.createSpace({ format: 'toString' as never, levels: 4 }), /unknown format toString/);
    // Only the six translations counted their lookups.
    const after = snapshot(w);
    expect(after.counters.lookups - before.counters.lookups).toBe(6);
    expect({ ...after, counters: { ...after.counters, lookups: 0 } }).toEqual({ ...before, counters: { ...before.counters, lookups: 0 } });
    // A batch request naming no space translates to status 7, like translateRaw.
    e.batch.set(0, MAX_SPACES, Number(IOVA), R);
    expect(e.batch.run(1)).toBe(1);
    expect(e.batch.status[0]).toBe(7);
    expectCachesWarm(w);
  });

  it('addresses past the input or the physical address width get the documented error or fault', async () => {
    const w = await world(build);
    const { e } = w;
    const lastWord = TOP - 8n;
    e.phys.write64(lastWord, 0x1122_3344_5566_7788n);
    const before = snapshot(w);
    expectRefused(() => e.map(w.a, 1n << 48n, PA, K4, RW), /map: .*outside the input/);
    expectRefused(() => e.map(w.a, FREE, TOP, K4, RW), /map: .*outside the input or output/);
    expectRefused(() => e.createAllocator(TOP, TOP + 0x10_0000n), /createAllocator: base/);
    expectRefused(() => e.createAllocator(TOP - K4, TOP + K4), /createAllocator: limit/);
    expect(e.phys.read64(TOP)).toBeUndefined();
    expect(e.phys.isBacked(TOP)).toBe(false);
    expect(e.phys.isBacked(-K4)).toBe(false);
    expect(e.phys.frameOffset(TWO64 + w.data)).toBe(0);
    expectRefused(() => e.phys.write64(TOP, 1n), /write64/, RangeError);
    // Nothing is copied when the range leaves memory: the last word below the top stays.
    expectRefused(() => e.phys.write(lastWord, new Uint8Array(16)), /write: .*2\^40/, RangeError);
    expectRefused(() => e.phys.read(lastWord, 16), /read: .*2\^40/, RangeError);
    expect(e.phys.read64(lastWord)).toBe(0x1122_3344_5566_7788n);
    // More bytes than are backed cannot be read: refused before a buffer is allocated.
    expectRefused(() => e.phys.read(0n, 2 ** 31), /read: .*backed/, RangeError);
    expect(snapshot(w)).toEqual(before);
    // A root a guest points anywhere is taken, as hardware takes it: the walk faults.
    e.setRoot(w.g, TOP);
    expect(e.walk(w.g, IOVA, R)).toMatchObject({ fault: FaultReason.EXTERNAL, stage: 1 });
    expectCachesWarm(w);
  });

  it('an invalidation longer than 2^64 bytes covers the rest of the input space, never a wrapped few bytes', async () => {
    const w = await world(build);
    const { e } = w;
    for (const bytes of [TWO64, TWO64 + K4, 2 ** 70]) {
      for (const s of [w.a, w.b]) e.translate(s, IOVA, R);
      const before = e.counters();
      e.invalidateRange(w.a, 0n, bytes);
      for (const s of [w.a, w.b]) e.translate(s, IOVA, R);
      // Space a walks again (its entry went), space b still hits.
      expect(e.counters().walks - before.walks, String(bytes)).toBe(1);
      expect(e.counters().invRange - before.invRange).toBe(1);
    }
  });

  it('an allocator over pages another allocator of the same memory hands out is refused', async () => {
    const w = await world(build);
    const { e } = w;
    const tables = { base: TOP / 2n, limit: TOP };
    const before = snapshot(w);
    expectRefused(() => e.createAllocator(tables.base, tables.limit), /createAllocator: .*overlaps allocator 0/);
    expectRefused(() => e.createAllocator(TOP - 0x10_0000n, TOP), /overlaps allocator 0/);
    // Host pages the data frames come from would be handed out twice.
    expectRefused(() => e.createAllocator(SPARE.base - 0x10_0000n, SPARE.base + K4), /overlaps the data region/);
    const spare = e.createAllocator(SPARE.base, SPARE.limit);
    expectRefused(() => e.createAllocator(SPARE.base - K4, SPARE.base + K4), new RegExp(`overlaps allocator ${spare}`));
    // Guest RAM of one parent is a memory of its own: the same numbers there are fine.
    const guest = e.createAllocator(SPARE.base, SPARE.limit, w.b);
    expectRefused(() => e.createAllocator(SPARE.base + K4, SPARE.base + 2n * K4, w.b), new RegExp(`overlaps allocator ${guest}`));
    expect(snapshot(w)).toEqual(before);
    expectCachesWarm(w);
  });

  it('freeFrame refuses a double free and a frame allocFrame never handed out', async () => {
    const { e } = await world(build);
    const one = e.phys.allocFrame()!;
    const two = e.phys.allocFrame()!;
    e.phys.freeFrame(one);
    expectRefused(() => e.phys.freeFrame(one), /freeFrame: pa .*handed out/, RangeError);
    expectRefused(() => e.phys.freeFrame(two + 0x10_0000n), /freeFrame: pa/, RangeError);
    const again = [e.phys.allocFrame()!, e.phys.allocFrame()!];
    expect(again).toContain(one);
    expect(new Set([...again, two]).size).toBe(3);
  });

  it('Engine.create refuses physical regions that are junk, past 2^paBits or overlapping', async () => {
    const cases: [Parameters<typeof Engine.create>[0], RegExp][] = [
      [{ tableRegion: { base: -K4, limit: TOP } }, /tableRegion\.base/],
      [{ tableRegion: { base: TOP / 2n, limit: TOP + K4 } }, /tableRegion\.limit/],
      [{ dataRegion: { base: 0x10_0000n, limit: TWO64 + 0x20_0000n } }, /dataRegion\.limit/],
      [{ dataRegion: { base: 0x10_0800n, limit: 0x20_0000n } }, /dataRegion.*aligned/],
      [{ dataRegion: { base: 0x20_0000n, limit: 0x10_0000n } }, /dataRegion.*empty/],
      [{ dataRegion: { base: TOP / 2n - K4, limit: TOP / 2n + K4 } }, /dataRegion.*overlaps tableRegion/],
      [{ paBits: 47 }, /paBits/],
    ];
    for (const [options, names] of cases) {
      await expect(Engine.create({ build, paBits: PA_BITS, physMemBytes: 1 << 20, ...options }), JSON.stringify(options, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)))
        .rejects.toThrow(names);
    }
  });
});

describe('raw ABI', () => {
  it('resolveThroughSpace answers UNRESOLVED for a dead id or one past the records, without walking', async () => {
    const engine = await Engine.create({ physMemBytes: 1 << 20 });
    const space = engine.createSpace({ format: 'x86-64', levels: 4 });
    // Resolving is for writing tables: it needs a writable page.
    engine.map(space, 0x1000n, 0x20_0000n, 0x1000n, Perm.R | Perm.W);
    const unresolved = -1n; // u64 all ones, read back as a signed i64
    expect(engine.core.resolveThroughSpace(space, 0x1000n)).toBe(0x20_0000n);
    const dead = engine.createSpace({ format: 'x86-64', levels: 4, root: engine.root(space) });
    engine.destroySpace(dead);
    for (const id of [dead, engine.maxSpaces, 0x7FFF_FFFF, -1]) {
      expect(engine.core.resolveThroughSpace(id, 0x1000n), `id ${id}`).toBe(unresolved);
    }
  });
});
