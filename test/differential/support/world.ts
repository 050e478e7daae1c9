// One engine with the spaces of a layout, and the oracle's descriptors of them.
// Flat layouts: two spaces of the shape in one group. Nested layouts: a stage-2
// parent mapping guest RAM (where the two stage-1 spaces keep their tables,
// through an allocator over that RAM) and part of a data GPA window.

import { Engine } from '../../../src/engine/engine.js';
import type { EngineOptions } from '../../../src/engine/options.js';
import { Access, Perm, type SpaceDescriptor } from '../../../src/engine/types.js';
import { oracleTranslate } from '../../../src/oracle/index.js';
import { DATA_GPA_BASE, GiB1, GUEST_TABLE_GPA, GUEST_TABLE_PAGES, HOST_DATA_BASE, KiB4, MiB2 } from './addresses.js';
import { PHYS_MEM_BYTES, type Layout, type StageShape } from './layouts.js';

export const STAGE1_GROUP = 1;
export const PARENT_GROUP = 2;

export interface SpaceRef {
  id: number;
  shape: StageShape;
  group: number;
  /** The oracle's view of the space, A/D as the engine walks it. */
  desc: SpaceDescriptor;
}

export interface World {
  engine: Engine;
  paBits: number;
  ad: boolean;
  /** The spaces of the layout's stage-1 shape. */
  spaces: SpaceRef[];
  parent?: SpaceRef;
  /** Guest RAM pages holding stage-1 tables, with the host frame each was first mapped to. */
  tablePages: Array<{ gpa: bigint; hpa: bigint }>;
  /** Nested: the allocator over guest RAM the stage-1 spaces take their tables from. */
  allocator?: number;
}

export async function createWorld(
  layout: Layout, build: 'release' | 'debug', ad: boolean, caches: EngineOptions, physMemBytes = PHYS_MEM_BYTES,
): Promise<World> {
  const engine = await Engine.create({ build, physMemBytes, ...caches });
  const world: World = { engine, paBits: engine.paBits, ad, spaces: [], tablePages: [] };
  if (layout.parent === undefined) {
    for (let i = 0; i < 2; i++) world.spaces.push(createStage1(world, layout.stage1));
    return world;
  }
  const parentId = engine.createSpace({ ...layout.parent, group: PARENT_GROUP, ad });
  const parent = spaceRef(engine, parentId, layout.parent, PARENT_GROUP, ad);
  world.parent = parent;
  world.tablePages = mapGuestTableRam(engine, parentId);
  mapInitialData(engine, parentId);
  world.allocator = engine.createAllocator(GUEST_TABLE_GPA, GUEST_TABLE_GPA + BigInt(GUEST_TABLE_PAGES) * KiB4, parentId);
  for (let i = 0; i < 2; i++) world.spaces.push(createStage1(world, layout.stage1));
  return world;
}

/** A stage-1 space of the world's kind: flat, or nested over the parent with tables in guest RAM. */
export function createStage1(world: World, shape: StageShape): SpaceRef {
  const { engine, ad, parent, allocator } = world;
  const nesting = parent ? { parent: parent.id, allocator } : {};
  const id = engine.createSpace({ ...shape, group: STAGE1_GROUP, ad, ...nesting });
  return spaceRef(engine, id, shape, STAGE1_GROUP, ad, parent?.desc);
}

/** The test's handle of an engine space, with the oracle's descriptor of it. */
export function spaceRef(engine: Engine, id: number, shape: StageShape, group: number, ad: boolean, parent?: SpaceDescriptor): SpaceRef {
  const desc: SpaceDescriptor = { ...shape, root: engine.root(id), ad, ...(parent ? { parent } : {}) };
  return { id, shape, group, desc };
}

/** Guest RAM pages go to host frames in a scrambled order, so GPA order says nothing about host order. */
function mapGuestTableRam(engine: Engine, parent: number): Array<{ gpa: bigint; hpa: bigint }> {
  const frames: bigint[] = [];
  for (let i = 0; i < 2 * GUEST_TABLE_PAGES; i++) {
    const frame = engine.phys.allocFrame();
    if (frame === undefined) throw new Error('out of simulated memory while setting up guest RAM');
    frames.push(frame);
  }
  const pages: Array<{ gpa: bigint; hpa: bigint }> = [];
  for (let i = 0; i < GUEST_TABLE_PAGES; i++) {
    // 37 is coprime with the frame count (2 * GUEST_TABLE_PAGES = 2^6 * 3), so this picks distinct frames.
    const hpa = frames[(i * 37 + 11) % frames.length];
    const gpa = GUEST_TABLE_GPA + BigInt(i) * KiB4;
    engine.map(parent, gpa, hpa, KiB4, Perm.R | Perm.W);
    pages.push({ gpa, hpa });
  }
  return pages;
}

/** Stage-2 pages of every size under the data window; its last 1 GiB region starts unmapped. */
function mapInitialData(engine: Engine, parent: number): void {
  const rwx = Perm.R | Perm.W | Perm.X;
  engine.map(parent, DATA_GPA_BASE, HOST_DATA_BASE, GiB1, rwx);
  for (let i = 0n; i < 3n; i++) engine.map(parent, DATA_GPA_BASE + GiB1 + i * MiB2, HOST_DATA_BASE + GiB1 + (2n - i) * MiB2, MiB2, rwx);
  for (let m = 0n; m < 3n; m++) {
    for (let p = 0n; p < 3n; p++) {
      const gpa = DATA_GPA_BASE + 2n * GiB1 + m * MiB2 + p * KiB4;
      engine.map(parent, gpa, HOST_DATA_BASE + 2n * GiB1 + (m * 3n + p) * 7n * KiB4, KiB4, p === 2n ? Perm.R | Perm.X : rwx);
    }
  }
}

/** The same descriptor walked as an inspection at every stage: what a walk without A/D writes does. */
export function withoutAd(desc: SpaceDescriptor): SpaceDescriptor {
  // Not `ad: false`: a format that faults when the hardware cannot set A/D (RISC-V)
  // must see the space's real setting; only the writes are left out.
  return { ...desc, inspect: true, ...(desc.parent ? { parent: withoutAd(desc.parent) } : {}) };
}

/** Every space a translation may target: the stage-1 spaces, then the parent. */
export function targets(world: World): SpaceRef[] {
  return world.parent ? [...world.spaces, world.parent] : world.spaces;
}

/** The host address the parent maps `gpa` to (no A/D, no permission needed), or undefined. */
export function parentToHost(world: World, gpa: bigint): bigint | undefined {
  if (!world.parent) return gpa;
  const t = oracleTranslate(world.engine.phys, world.paBits, withoutAd(world.parent.desc), gpa, 0);
  return t.fault ? undefined : t.addr;
}

export const ACCESS_KINDS = [Access.READ, Access.WRITE, Access.EXEC] as const;
