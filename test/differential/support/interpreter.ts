// Runs an op sequence against one world: every change is followed by the
// invalidation the architecture requires, every translation is checked against
// the oracle.

import { FORMAT_FACTS } from './format-facts.js';
import { EngineError } from '../../../src/engine/errors.js';
import { Perm, type FormatName } from '../../../src/engine/types.js';
import {
  dataGpa, GUEST_TABLE_GPA, GUEST_TABLE_PAGES, hex, hostDataAddr, KiB4, outOfRangeIova, PAGE_SIZES, slotIova,
} from './addresses.js';
import { checkBatch, checkTranslate, checkWalk } from './check.js';
import { editedLeaf, findLeaf } from './edits.js';
import type { InvalidationKind, NestedInvalidation, Op, TranslateOp } from './ops.js';
import { createStage1, STAGE1_GROUP, targets, type SpaceRef, type World } from './world.js';

interface Mapping { iova: bigint; size: bigint }

export class Run {
  /** Mappings made so far per target (stage-1 spaces, then the parent): hints for later ops, may be stale. */
  private readonly mapped: Mapping[][];
  /** Every mapping made so far, with its target index: translations aim at these. */
  private readonly anyMapped: Array<Mapping & { index: number }> = [];
  /** Requests that translated (target index and address), to repeat them. */
  private readonly translated: Array<{ index: number; iova: bigint }> = [];
  readonly log: string[] = [];

  constructor(private readonly world: World) {
    this.mapped = targets(world).map(() => []);
  }

  execute(ops: Op[]): void {
    ops.forEach((op, step) => {
      try {
        this.apply(op, `step ${step}`);
      } catch (error) {
        if (error instanceof Error) error.message += `\n--- run log ---\n${this.log.join('\n')}`;
        throw error;
      }
    });
  }

  private apply(op: Op, step: string): void {
    switch (op.kind) {
      case 'map': return this.map(op);
      case 'unmap': return this.unmap(op);
      case 'edit': return this.edit(op);
      case 'translate': return this.translate(op, step);
      case 'batch': return this.batch(op, step);
      case 'recreate': return this.recreate(op);
      case 's2map': return this.stage2Map(op);
      case 's2unmap': return this.stage2Unmap(op);
      case 's2edit': return this.stage2Edit(op);
      case 's2table': return this.stage2TablePage(op);
    }
  }

  private get nested(): boolean {
    return this.world.parent !== undefined;
  }

  private space(n: number): { ref: SpaceRef; index: number } {
    const index = n % this.world.spaces.length;
    return { ref: this.world.spaces[index], index };
  }

  private parentIndex(): number {
    return this.world.spaces.length;
  }

  private remember(index: number, iova: bigint, size: bigint): void {
    this.mapped[index].push({ iova, size });
    this.anyMapped.push({ index, iova, size });
  }

  private recent(index: number, n: number | null): Mapping | undefined {
    const list = this.mapped[index];
    return n === null || list.length === 0 ? undefined : list[n % list.length];
  }

  /**
   * Destroys a stage-1 space and creates one like it, which gets the same id back:
   * nothing the old one cached may answer for the new one. No invalidation.
   */
  private recreate(op: Extract<Op, { kind: 'recreate' }>): void {
    const { ref, index } = this.space(op.space);
    this.world.engine.destroySpace(ref.id);
    const fresh = createStage1(this.world, ref.shape);
    this.world.spaces[index] = fresh;
    this.mapped[index].length = 0;
    this.forget(index);
    this.log.push(`recreate space ${ref.id} -> ${fresh.id}`);
  }

  /** Drops the hints that point into a space that is gone. */
  private forget(index: number): void {
    const keep = <T extends { index: number }>(list: T[]) => {
      const kept = list.filter((m) => m.index !== index);
      list.length = 0;
      list.push(...kept);
    };
    keep(this.anyMapped);
    keep(this.translated);
  }

  private map(op: Extract<Op, { kind: 'map' }>): void {
    const { ref, index } = this.space(op.space);
    const size = PAGE_SIZES[op.level];
    const iova = slotIova(ref.shape, op.slot, op.level);
    const out = this.nested ? dataGpa(size, op.target) : hostDataAddr(size, op.target[0]);
    const perms = mappablePerms(ref.shape.format, op.perms);
    // Mapping into empty slots needs no invalidation: nothing caches a not-present entry.
    const done = tolerate(() => this.world.engine.map(ref.id, iova, out, size, perms));
    if (done) this.remember(index, iova, size);
    this.log.push(`map space ${ref.id} ${hex(iova)} -> ${hex(out)} size ${hex(size)} perms ${perms}${done ? '' : ' (refused)'}`);
  }

  private unmap(op: Extract<Op, { kind: 'unmap' }>): void {
    const { ref, index } = this.space(op.space);
    const { iova, size } = this.unmapRange(ref, index, op);
    try {
      tolerate(() => this.world.engine.unmap(ref.id, iova, size));
    } finally {
      this.world.engine.invalidateRange(ref.id, iova, size, false);
    }
    this.log.push(`unmap space ${ref.id} ${hex(iova)} size ${hex(size)} + invalidateRange`);
  }

  /** A slot of the chosen size, or part of a recent mapping (a partial unmap splits a large page). */
  private unmapRange(ref: SpaceRef, index: number, op: { level: number; slot: number[]; mapped: number | null; sub: number }): Mapping {
    const wanted = PAGE_SIZES[op.level];
    const m = this.recent(index, op.mapped);
    if (m === undefined) return { iova: slotIova(ref.shape, op.slot, op.level), size: wanted };
    const size = wanted < m.size ? wanted : m.size;
    return { iova: m.iova + BigInt(op.sub % Number(m.size / size)) * size, size };
  }

  private edit(op: Extract<Op, { kind: 'edit' }>): void {
    const { ref, index } = this.space(op.space);
    const m = this.recent(index, op.mapped);
    const iova = m ? m.iova + BigInt(op.offset) % m.size : slotIova(ref.shape, op.slot, 0);
    const leaf = findLeaf(this.world, ref, iova);
    if (!leaf) { this.log.push(`edit space ${ref.id} ${hex(iova)}: no leaf`); return; }
    const size = 1n << BigInt(leaf.pageShift);
    const value = editedLeaf(ref.shape.format, leaf, op.edit, this.world.paBits, op.n,
      () => (this.nested ? dataGpa(size, op.target) : hostDataAddr(size, op.target[0] + 1)));
    this.world.engine.phys.write64(leaf.hpa, value);
    const how = this.invalidateLeaf(ref, leaf.pageBase, size, op.inv, this.nested ? null : op.sub);
    this.log.push(`edit space ${ref.id} leaf of ${hex(iova)} at ${hex(leaf.hpa)}: ${op.edit} ${hex(leaf.value)} -> ${hex(value)} + ${how}`);
  }

  /**
   * Any invalidation that covers a changed leaf. `sub` (flat spaces only) may narrow
   * a range to one 4 KiB page inside the leaf's page: an IOTLB entry is one page of
   * the leaf's size, so any address in it reaches it. With nesting, entries can be
   * smaller than a leaf of either stage, so the whole page must be named.
   */
  private invalidateLeaf(ref: SpaceRef, base: bigint, size: bigint, kind: InvalidationKind, sub: number | null): string {
    const engine = this.world.engine;
    let start = base;
    let bytes = size;
    if (sub !== null && sub % 2 === 1) {
      start = base + BigInt(Math.floor(sub / 2) % Number(size / KiB4)) * KiB4;
      bytes = KiB4;
    }
    switch (kind) {
      case 'range-leaf': engine.invalidateRange(ref.id, start, bytes, true); return `invalidateRange(${hex(start)}, ${hex(bytes)}, leaf)`;
      case 'range': engine.invalidateRange(ref.id, start, bytes, false); return `invalidateRange(${hex(start)}, ${hex(bytes)})`;
      case 'space': engine.invalidateSpace(ref.id); return 'invalidateSpace';
      case 'group': engine.invalidateGroup(ref.group); return `invalidateGroup(${ref.group})`;
      case 'all': engine.invalidateAll(); return 'invalidateAll';
    }
  }

  private batch(op: Extract<Op, { kind: 'batch' }>, step: string): void {
    const all = targets(this.world);
    const requests = op.requests.map((r) => {
      const { index, iova } = this.translationTarget(all.length, r);
      return { index, space: all[index], iova, access: r.access };
    });
    const results = checkBatch(this.world, requests, step);
    requests.forEach((r, i) => { if (results[i].fault === 0) this.translated.push({ index: r.index, iova: r.iova }); });
    this.log.push(`batch ${requests.map((r, i) => `[space ${r.space.id} ${hex(r.iova)} access ${r.access}: ${results[i].fault ? `fault ${results[i].fault}` : hex(results[i].addr)}]`).join(' ')}`);
  }

  private translate(op: Extract<Op, { kind: 'translate' }>, step: string): void {
    const all = targets(this.world);
    const { index, iova } = this.translationTarget(all.length, op);
    const ref = all[index];
    // A walk with the walk caches goes first, so that what it caches is what the
    // translation then finds; the plain walk goes after.
    if (op.cachedWalk) checkWalk(this.world, ref, iova, op.access, step, true);
    const t = checkTranslate(this.world, ref, iova, op.access, step);
    if (!op.cachedWalk) checkWalk(this.world, ref, iova, op.access, step);
    if (t.fault === 0) this.translated.push({ index, iova });
    this.log.push(`translate space ${ref.id} ${hex(iova)} access ${op.access}: ${t.fault ? `fault ${t.fault} stage ${t.stage} level ${t.level} ${hex(t.addr)}` : hex(t.addr)}`);
  }

  /**
   * What to translate: a request that translated before (to hit in the caches), an
   * address in some mapping, a slot of any space (mapped or not), or an address the
   * format refuses.
   */
  private translationTarget(targetCount: number, op: TranslateOp): { index: number; iova: bigint } {
    if (op.again !== null && this.translated.length > 0) return this.translated[op.again % this.translated.length];
    const m = op.mapped === null || this.anyMapped.length === 0 ? undefined : this.anyMapped[op.mapped % this.anyMapped.length];
    if (m) return { index: m.index, iova: m.iova + BigInt(op.offset) % m.size };
    const index = op.space % targetCount;
    const shape = index === this.parentIndex() ? this.world.parent!.shape : this.world.spaces[index].shape;
    if (op.outOfRange) return { index, iova: outOfRangeIova(shape, op.offset) };
    const within = BigInt(op.offset % 4096);
    if (index !== this.parentIndex()) return { index, iova: slotIova(shape, op.slot, 0) + within };
    // The parent translates GPAs: data pages, or the guest RAM holding stage-1 tables.
    return { index, iova: (op.slot[4] % 2 === 0 ? dataGpa(KiB4, op.slot) : tablePageGpa(op.slot[3])) + within };
  }

  private stage2Map(op: Extract<Op, { kind: 's2map' }>): void {
    const parent = this.world.parent!;
    const size = PAGE_SIZES[op.level];
    const gpa = dataGpa(size, op.slot);
    const hpa = hostDataAddr(size, op.target + 3);
    const perms = mappablePerms(parent.shape.format, op.perms);
    const done = tolerate(() => this.world.engine.map(parent.id, gpa, hpa, size, perms));
    if (done) this.remember(this.parentIndex(), gpa, size);
    this.log.push(`s2 map ${hex(gpa)} -> ${hex(hpa)} size ${hex(size)} perms ${perms}${done ? '' : ' (refused)'}`);
  }

  private stage2Unmap(op: Extract<Op, { kind: 's2unmap' }>): void {
    const parent = this.world.parent!;
    const r = this.mapped[this.parentIndex()].length && op.mapped !== null
      ? this.unmapRange(parent, this.parentIndex(), op)
      : { iova: dataGpa(PAGE_SIZES[op.level], op.slot), size: PAGE_SIZES[op.level] };
    try {
      tolerate(() => this.world.engine.unmap(parent.id, r.iova, r.size));
    } finally {
      // The parent's range: also drops exactly the nested entries whose GPA is in it.
      this.world.engine.invalidateRange(parent.id, r.iova, r.size, false);
    }
    this.log.push(`s2 unmap ${hex(r.iova)} size ${hex(r.size)} + invalidateRange(parent)`);
  }

  private stage2Edit(op: Extract<Op, { kind: 's2edit' }>): void {
    const parent = this.world.parent!;
    const m = this.recent(this.parentIndex(), op.mapped);
    const gpa = op.tablePage !== null ? tablePageGpa(op.tablePage) : m ? m.iova : dataGpa(KiB4, op.slot);
    const leaf = findLeaf(this.world, parent, gpa);
    if (!leaf) { this.log.push(`s2 edit ${hex(gpa)}: no leaf`); return; }
    const size = 1n << BigInt(leaf.pageShift);
    // A table page moves to a fresh zeroed frame (never to another table page: the
    // builder writing through one alias would change tables nobody invalidates).
    const retarget = () => (op.tablePage !== null ? this.freshFrame() : hostDataAddr(size, op.target + 5));
    const value = editedLeaf(parent.shape.format, leaf, op.edit, this.world.paBits, op.n, retarget);
    this.world.engine.phys.write64(leaf.hpa, value);
    let how = this.invalidateLeaf(parent, leaf.pageBase, size, op.inv, null);
    if (op.tablePage !== null) how += ` + ${this.invalidateNested(op.nested)}`;
    this.log.push(`s2 edit leaf of ${hex(gpa)} at ${hex(leaf.hpa)}: ${op.edit} ${hex(leaf.value)} -> ${hex(value)} + ${how}`);
  }

  private freshFrame(): bigint {
    const frame = this.world.engine.phys.allocFrame();
    if (frame === undefined) throw new Error('out of simulated memory');
    return frame;
  }

  /** Unmapping guest RAM that holds stage-1 tables turns their reads into stage-2 faults; remapping restores them. */
  private stage2TablePage(op: Extract<Op, { kind: 's2table' }>): void {
    const parent = this.world.parent!;
    const page = this.world.tablePages[op.page % this.world.tablePages.length];
    if (op.remap) {
      tolerate(() => this.world.engine.map(parent.id, page.gpa, page.hpa, KiB4, Perm.R | Perm.W));
      this.log.push(`s2 remap table page ${hex(page.gpa)} -> ${hex(page.hpa)}`);
      return;
    }
    let how = '';
    try {
      tolerate(() => this.world.engine.unmap(parent.id, page.gpa, KiB4));
    } finally {
      this.world.engine.invalidateRange(parent.id, page.gpa, KiB4, false);
      how = this.invalidateNested(op.nested);
    }
    this.log.push(`s2 unmap table page ${hex(page.gpa)} + invalidateRange(parent) + ${how}`);
  }

  /**
   * What must follow a change of the parent's mapping of a page holding stage-1
   * tables (docs/formats.md, "Caches"): the nested spaces' own invalidation, since
   * their entries remember only output GPAs.
   */
  private invalidateNested(kind: NestedInvalidation): string {
    const engine = this.world.engine;
    switch (kind) {
      case 'spaces': for (const s of this.world.spaces) engine.invalidateSpace(s.id); return 'invalidateSpace(each nested)';
      case 'group': engine.invalidateGroup(STAGE1_GROUP); return `invalidateGroup(${STAGE1_GROUP})`;
      case 'all': engine.invalidateAll(); return 'invalidateAll';
    }
  }
}

function tablePageGpa(n: number): bigint {
  return GUEST_TABLE_GPA + BigInt(n % GUEST_TABLE_PAGES) * KiB4;
}

/** Permissions the format can encode (support/format-facts.ts). */
function mappablePerms(format: FormatName, bits: number): number {
  return FORMAT_FACTS[format].mappable(bits);
}

/** Runs a builder call; an expected refusal (already mapped, out of table memory) is not a failure. */
function tolerate(call: () => unknown): boolean {
  try {
    call();
    return true;
  } catch (error) {
    if (error instanceof EngineError && (error.code === 'EXISTS' || error.code === 'NO_MEMORY')) return false;
    throw error;
  }
}
