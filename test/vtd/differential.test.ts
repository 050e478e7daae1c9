// Differential property tests: the unit (guest structures + invalidation queue +
// engine) against the oracle walking the same tables, for first-stage, second-stage
// and nested PASIDs, under random PTE changes each followed by one of the
// invalidations the architecture accepts for it (every granularity).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Access, FaultReason, Perm, type PhysMemory, type SpaceDescriptor } from '../../src/engine/types.js';
import { oracleTranslate, PageTableBuilder } from '../../src/oracle/index.js';
import { Pgtt } from '../../src/hw/vtd/index.js';
import { createRig, Desc, gpaMemory, KiB4, MiB2, Platform, sid, type Rig } from './guest.js';

type Kind = 'first-stage' | 'second-stage' | 'nested';
const DEV = sid(7, 1, 0);
const DID = 11;
const PASID = 0x345;
const SMALL_BASE = 0x10_0000n; // 16 pages of 4 KiB
const LARGE_BASE = 0x4000_0000n; // 4 pages of 2 MiB
const GPA_DATA = 0x20_0000n; // nested: stage-1 outputs land in [2 MiB, 4 MiB) of guest RAM
const HPA_DATA = 0x1000_0000n;
const RUNS = process.env.FUZZ_LONG ? 300 : 40;

type Invalidation = 'iotlb-global' | 'iotlb-domain' | 'iotlb-psi' | 'p-iotlb-pasid' | 'p-iotlb-psi';

type Op =
  | { op: 'remap'; large: boolean; slot: number; target: number; writable: boolean; inv: Invalidation; widen: number }
  | { op: 'remap-parent'; page: number; target: number; writable: boolean; inv: Invalidation; widen: number }
  | { op: 'dma'; large: boolean; slot: number; offset: number; write: boolean };

const ACCEPTED: Record<Kind, Invalidation[]> = {
  'first-stage': ['iotlb-global', 'iotlb-domain', 'iotlb-psi', 'p-iotlb-pasid', 'p-iotlb-psi'],
  'second-stage': ['iotlb-global', 'iotlb-domain', 'iotlb-psi', 'p-iotlb-pasid'],
  nested: ['iotlb-global', 'iotlb-domain', 'iotlb-psi', 'p-iotlb-pasid', 'p-iotlb-psi'],
};
const PARENT_ACCEPTED: Invalidation[] = ['iotlb-global', 'iotlb-domain', 'iotlb-psi'];

function ops(kind: Kind): fc.Arbitrary<Op[]> {
  const inv = fc.constantFrom(...ACCEPTED[kind]);
  const remap = fc.record({
    op: fc.constant('remap' as const), large: fc.boolean(), slot: fc.nat(3), target: fc.nat(31), writable: fc.boolean(), inv, widen: fc.nat(2),
  });
  const dma = fc.record({ op: fc.constant('dma' as const), large: fc.boolean(), slot: fc.nat(3), offset: fc.nat(0x1f_ffff), write: fc.boolean() });
  const parent = fc.record({
    op: fc.constant('remap-parent' as const), page: fc.nat(511), target: fc.nat(1023), writable: fc.boolean(),
    inv: fc.constantFrom(...PARENT_ACCEPTED), widen: fc.nat(2),
  });
  const choices: fc.Arbitrary<Op>[] = [remap, dma, dma];
  if (kind === 'nested') choices.push(parent);
  return fc.array(fc.oneof(...choices), { minLength: 1, maxLength: 40 });
}

interface Setup {
  rig: Rig;
  /** Where the translated tables are written (host memory, or guest RAM through the second stage). */
  tables: PageTableBuilder;
  space: SpaceDescriptor;
  parent?: SpaceDescriptor;
  kind: Kind;
}

async function setup(kind: Kind): Promise<Setup> {
  const rig = await createRig({}, { iotlb: { sets: 64, ways: 2 } });
  const p = new Platform(rig, true);
  p.attachScalable(DEV);
  if (kind === 'second-stage') {
    const space: SpaceDescriptor = { format: 'vtd-ss', levels: 4, root: rig.host.newTable(), ad: false };
    p.setPasid(DEV, PASID, { pgtt: Pgtt.SECOND_STAGE, did: DID, aw: 2, ssptptr: space.root });
    p.boot();
    return { rig, tables: rig.host, space, kind };
  }
  if (kind === 'first-stage') {
    const space: SpaceDescriptor = { format: 'x86-64', levels: 4, root: rig.host.newTable(), ad: true };
    p.setPasid(DEV, PASID, { pgtt: Pgtt.FIRST_STAGE, did: DID, fsptptr: space.root });
    p.boot();
    return { rig, tables: rig.host, space, kind };
  }
  const parent: SpaceDescriptor = { format: 'vtd-ss', levels: 4, root: rig.host.newTable(), ad: false };
  for (let gpa = 0n; gpa < 2n * MiB2; gpa += KiB4) rig.host.map(parent, gpa, 0x800_0000n + gpa, 12, Perm.R | Perm.W);
  for (let page = 0n; page < 512n; page++) rig.host.map(parent, GPA_DATA + page * KiB4, HPA_DATA + page * KiB4, 12, Perm.R | Perm.W);
  let next = 0x1000n;
  const guest: PhysMemory = gpaMemory(rig.engine, parent);
  const tables = new PageTableBuilder(guest, { next: () => { const g = next; next += KiB4; return g; } });
  const space: SpaceDescriptor = { format: 'x86-64', levels: 4, root: tables.newTable(), ad: true, parent };
  p.setPasid(DEV, PASID, { pgtt: Pgtt.NESTED, did: DID, aw: 2, ssptptr: parent.root, fsptptr: space.root });
  p.boot();
  return { rig, tables, space, parent, kind };
}

function slotIova(large: boolean, slot: number): bigint {
  return large ? LARGE_BASE + BigInt(slot % 4) * MiB2 : SMALL_BASE + BigInt(slot) * KiB4;
}

function outputFor(s: Setup, large: boolean, target: number): bigint {
  if (s.kind === 'nested') return large ? GPA_DATA : GPA_DATA + BigInt(target) * KiB4;
  return HPA_DATA + (large ? BigInt(target % 8) * MiB2 : BigInt(target) * KiB4);
}

/** The descriptor for `inv` covering [addr, addr + 2^shift), widened by `widen` address-mask steps. */
function descriptor(inv: Invalidation, addr: bigint, shift: number, widen: number): bigint[] {
  const am = shift - 12 + widen;
  const base = addr & ~((1n << BigInt(12 + am)) - 1n);
  switch (inv) {
    case 'iotlb-global': return Desc.iotlbGlobal();
    case 'iotlb-domain': return Desc.iotlbDomain(DID);
    case 'iotlb-psi': return Desc.iotlbPages(DID, base, am, widen === 2);
    case 'p-iotlb-pasid': return Desc.pasidAll(DID, PASID);
    default: return Desc.pasidPages(DID, PASID, base, am, widen === 2);
  }
}

function apply(s: Setup, o: Op): void {
  const fsPerms = (w: boolean) => Perm.R | Perm.U | (w ? Perm.W : 0);
  if (o.op === 'remap') {
    const iova = slotIova(o.large, o.slot);
    const perms = s.kind === 'second-stage' ? Perm.R | (o.writable ? Perm.W : 0) : fsPerms(o.writable);
    s.tables.map(s.space, iova, outputFor(s, o.large, o.target), o.large ? 21 : 12, perms);
    // A leaf rewrite only: IH (widen 2) is allowed for it.
    s.rig.driver.submitAndWait(descriptor(o.inv, iova, o.large ? 21 : 12, o.widen));
  } else if (o.op === 'remap-parent' && s.parent) {
    const gpa = GPA_DATA + BigInt(o.page) * KiB4;
    s.rig.host.map(s.parent, gpa, HPA_DATA + BigInt(o.target) * KiB4, 12, Perm.R | (o.writable ? Perm.W : 0));
    s.rig.driver.submitAndWait(descriptor(o.inv, gpa, 12, o.widen));
  }
}

function expectedReason(kind: Kind, fault: number, stage: number, write: boolean): number {
  if (kind === 'second-stage' || stage === 2) return write ? 0x5 : 0x6;
  return fault === FaultReason.TRANSLATION ? 0x71 : 0x85;
}

function check(s: Setup, o: Op & { op: 'dma' }): void {
  const iova = slotIova(o.large, o.slot) + BigInt(o.offset % (o.large ? 0x20_0000 : 0x1000));
  const access = o.write ? Access.WRITE : Access.READ;
  const oracleAccess = access | (s.kind === 'second-stage' ? 0 : Access.USER);
  const quiet = { ...s.space, ad: false, parent: s.parent && { ...s.parent, ad: false } };
  const want = oracleTranslate(s.rig.engine.phys, s.rig.engine.paBits, quiet, iova, oracleAccess);
  const got = s.rig.unit.translate(DEV, PASID, iova, access);
  if (want.fault === 0) expect(got).toMatchObject({ ok: true, addr: want.addr });
  else expect(got).toMatchObject({ ok: false, reason: expectedReason(s.kind, want.fault, want.stage, o.write) });
}

describe('VT-d unit vs oracle', () => {
  for (const kind of ['first-stage', 'second-stage', 'nested'] as const) {
    it(`${kind} PASID: every translation equals the oracle's after each PTE change and its invalidation`, async () => {
      await fc.assert(fc.asyncProperty(ops(kind), async (sequence) => {
        const s = await setup(kind);
        for (const o of sequence) {
          if (o.op === 'dma') check(s, o);
          else {
            apply(s, o);
            // Look right away at what changed: a missed invalidation shows as the old translation.
            if (o.op === 'remap') check(s, { op: 'dma', large: o.large, slot: o.slot, offset: 0x88, write: false });
          }
        }
        expect(s.rig.unit.mmioRead(0x34, 4) & 0x10n).toBe(0n);
      }), { numRuns: RUNS });
    });
  }
});
