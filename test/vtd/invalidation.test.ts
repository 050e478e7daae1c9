// Queued invalidation as a guest driver uses it: after a PTE change the old
// translation stays (and the engine's stale check reports it) until the right
// descriptor; each descriptor drops exactly what the architecture says.
import { describe, expect, it } from 'vitest';
import { Access, Perm } from '../../src/engine/types.js';
import { Pgtt } from '../../src/hw/vtd/index.js';
import { createRig, Desc, firstStageTable, gpaMemory, KiB4, MiB2, Platform, secondStageTable, sid, type Rig } from './guest.js';
import { PageTableBuilder } from '../../src/oracle/index.js';
import type { SpaceDescriptor } from '../../src/engine/types.js';

const DEV = sid(1, 0, 0);
const R = Access.READ;
const RWU = Perm.R | Perm.W | Perm.U;
const RW = Perm.R | Perm.W;
const OLD = 0x2000_0000n;
const NEW = 0x2800_0000n;

function expectAddr(rig: Rig, pasid: number | undefined, iova: bigint, addr: bigint): void {
  expect(rig.unit.translate(DEV, pasid, iova, R)).toMatchObject({ ok: true, addr });
}

/** The translation is the old one and the engine counted it as stale. */
function expectStale(rig: Rig, pasid: number | undefined, iova: bigint, old: bigint): void {
  const before = rig.engine.counters().staleHits;
  expectAddr(rig, pasid, iova, old);
  expect(rig.engine.counters().staleHits).toBe(before + 1);
}

function expectFresh(rig: Rig, pasid: number | undefined, iova: bigint, fresh: bigint): void {
  const before = rig.engine.counters().staleHits;
  expectAddr(rig, pasid, iova, fresh);
  expectAddr(rig, pasid, iova, fresh);
  expect(rig.engine.counters().staleHits).toBe(before);
}

interface World { rig: Rig; p: Platform; fs: SpaceDescriptor; fs2: SpaceDescriptor; ss: SpaceDescriptor }

/** DID 7: PASID 1 and PASID 0x10001 first-stage (own tables), PASID 2 second-stage. */
async function world(): Promise<World> {
  const rig = await createRig({ staleCheck: true });
  const p = new Platform(rig, true);
  const fs = firstStageTable(rig);
  const fs2 = firstStageTable(rig);
  const ss = secondStageTable(rig, 4);
  for (let i = 0n; i < 8n; i++) {
    rig.host.map(fs, 0x40_0000n + i * KiB4, OLD + i * KiB4, 12, RWU);
    rig.host.map(fs2, 0x40_0000n + i * KiB4, OLD + 0x10_0000n + i * KiB4, 12, RWU);
    rig.host.map(ss, 0x40_0000n + i * KiB4, OLD + 0x20_0000n + i * KiB4, 12, RW);
  }
  p.attachScalable(DEV);
  p.setPasid(DEV, 1, { pgtt: Pgtt.FIRST_STAGE, did: 7, fsptptr: fs.root });
  p.setPasid(DEV, 0x10001, { pgtt: Pgtt.FIRST_STAGE, did: 7, fsptptr: fs2.root });
  p.setPasid(DEV, 2, { pgtt: Pgtt.SECOND_STAGE, did: 7, aw: 2, ssptptr: ss.root });
  p.boot();
  return { rig, p, fs, fs2, ss };
}

const PAGE = 0x40_3000n;

/** Warm the IOTLB for page i of all three PASIDs. */
function warm(w: World, i = 3n): void {
  expectAddr(w.rig, 1, 0x40_0000n + i * KiB4, OLD + i * KiB4);
  expectAddr(w.rig, 0x10001, 0x40_0000n + i * KiB4, OLD + 0x10_0000n + i * KiB4);
  expectAddr(w.rig, 2, 0x40_0000n + i * KiB4, OLD + 0x20_0000n + i * KiB4);
}

function retargetAll(w: World, iova: bigint): void {
  w.rig.host.map(w.fs, iova, NEW, 12, RWU);
  w.rig.host.map(w.fs2, iova, NEW + 0x10_0000n, 12, RWU);
  w.rig.host.map(w.ss, iova, NEW + 0x20_0000n, 12, RW);
}

describe('VT-d queued invalidation', () => {
  it('without a descriptor the old translation is still used and the stale check reports it', async () => {
    const w = await world();
    warm(w);
    retargetAll(w, PAGE);
    expectStale(w.rig, 1, PAGE, OLD + 0x3000n);
    expectStale(w.rig, 2, PAGE, OLD + 0x20_3000n);
    expect(w.rig.driver.submitAndWait(Desc.iotlbDomain(7))).toBe(true);
    expectFresh(w.rig, 1, PAGE, NEW);
    expectFresh(w.rig, 0x10001, PAGE, NEW + 0x10_0000n);
    expectFresh(w.rig, 2, PAGE, NEW + 0x20_0000n);
  });

  it('a domain-selective invalidation of another DID leaves this one stale', async () => {
    const w = await world();
    warm(w);
    retargetAll(w, PAGE);
    w.rig.driver.submitAndWait(Desc.iotlbDomain(8));
    expectStale(w.rig, 1, PAGE, OLD + 0x3000n);
    w.rig.driver.submitAndWait(Desc.iotlbGlobal());
    expectFresh(w.rig, 1, PAGE, NEW);
  });

  // Spec 8.1, bug 1: page-selective invalidation that left first-stage entries.
  it('IOTLB page-selective within a domain drops every first-stage entry of the DID, whatever the address', async () => {
    const w = await world();
    warm(w);
    retargetAll(w, PAGE);
    // A range that does not contain PAGE: second-stage entries outside it stay.
    w.rig.driver.submitAndWait(Desc.iotlbPages(7, 0x100_0000n, 0));
    expectFresh(w.rig, 1, PAGE, NEW);
    expectFresh(w.rig, 0x10001, PAGE, NEW + 0x10_0000n);
    expectStale(w.rig, 2, PAGE, OLD + 0x20_3000n);
    w.rig.driver.submitAndWait(Desc.iotlbPages(7, PAGE, 0));
    expectFresh(w.rig, 2, PAGE, NEW + 0x20_0000n);
  });

  it('IOTLB page-selective honours the address mask on second-stage entries', async () => {
    const w = await world();
    for (let i = 0n; i < 8n; i++) warm(w, i);
    for (let i = 0n; i < 8n; i++) w.rig.host.map(w.ss, 0x40_0000n + i * KiB4, NEW + i * KiB4, 12, RW);
    // AM = 2: four pages at 0x404000.
    w.rig.driver.submitAndWait(Desc.iotlbPages(7, 0x40_4000n, 2));
    for (let i = 0n; i < 8n; i++) {
      const iova = 0x40_0000n + i * KiB4;
      if (i >= 4n) expectFresh(w.rig, 2, iova, NEW + i * KiB4);
      else expectStale(w.rig, 2, iova, OLD + 0x20_0000n + i * KiB4);
    }
  });

  // Spec 8.1, bug 2: PASID-selective invalidation that left second-stage entries.
  it('P_IOTLB all-in-PASID drops the second-stage entries of that PASID too', async () => {
    const w = await world();
    warm(w);
    retargetAll(w, PAGE);
    w.rig.driver.submitAndWait(Desc.pasidAll(7, 2));
    expectFresh(w.rig, 2, PAGE, NEW + 0x20_0000n);
    expectStale(w.rig, 1, PAGE, OLD + 0x3000n);
  });

  it('P_IOTLB page-selective drops only first-stage entries of DID+PASID in range', async () => {
    const w = await world();
    for (let i = 0n; i < 8n; i++) warm(w, i);
    for (let i = 0n; i < 8n; i++) retargetAll(w, 0x40_0000n + i * KiB4);
    w.rig.driver.submitAndWait(Desc.pasidPages(7, 1, 0x40_0000n, 1));
    expectFresh(w.rig, 1, 0x40_0000n, NEW);
    expectFresh(w.rig, 1, 0x40_1000n, NEW);
    expectStale(w.rig, 1, 0x40_2000n, OLD + 0x2000n);
    // Second-stage entries of the same DID+PASID range are not first-stage: untouched.
    w.rig.driver.submitAndWait(Desc.pasidPages(7, 2, 0x40_0000n, 1));
    expectStale(w.rig, 2, 0x40_0000n, OLD + 0x20_0000n);
  });

  // Spec 8.1, bug 3: hash keys that alias PASIDs (a PASID's high bits lost).
  it('PASIDs that differ only in high bits neither share nor invalidate each other\'s entries', async () => {
    const w = await world();
    warm(w);
    retargetAll(w, PAGE);
    w.rig.driver.submitAndWait(Desc.pasidPages(7, 1, PAGE, 0));
    expectFresh(w.rig, 1, PAGE, NEW);
    expectStale(w.rig, 0x10001, PAGE, OLD + 0x10_3000n);
    w.rig.driver.submitAndWait(Desc.pasidAll(7, 0x10001));
    expectFresh(w.rig, 0x10001, PAGE, NEW + 0x10_0000n);
  });

  it('IH keeps paging-structure caches: a leaf change is seen, a table change under IH may not be', async () => {
    const w = await world();
    warm(w);
    w.rig.host.map(w.fs, PAGE, NEW, 12, RWU);
    w.rig.driver.submitAndWait(Desc.pasidPages(7, 1, PAGE, 0, true));
    expectFresh(w.rig, 1, PAGE, NEW);
  });

  it('PASID-cache invalidation (PASID-selective, domain, global) makes a rewritten PASID entry visible', async () => {
    const w = await world();
    warm(w);
    // PASID 1 now points at PASID 0x10001's tables.
    w.p.setPasid(DEV, 1, { pgtt: Pgtt.FIRST_STAGE, did: 7, fsptptr: w.fs2.root });
    w.rig.driver.submitAndWait(Desc.pasidAll(7, 1));
    // The PASID-cache still holds the old entry: the IOTLB refills from the old tables.
    expectAddr(w.rig, 1, PAGE, OLD + 0x3000n);
    w.rig.driver.submitAndWait(Desc.pasidCachePasid(7, 2), Desc.pasidCacheDomain(8));
    expectAddr(w.rig, 1, PAGE, OLD + 0x3000n);
    w.rig.driver.submitAndWait(Desc.pasidCachePasid(7, 1), Desc.pasidAll(7, 1));
    expectAddr(w.rig, 1, PAGE, OLD + 0x10_3000n);
    w.p.setPasid(DEV, 1, { pgtt: Pgtt.FIRST_STAGE, did: 7, fsptptr: w.fs.root });
    w.rig.driver.submitAndWait(Desc.pasidCacheDomain(7));
    expectAddr(w.rig, 1, PAGE, OLD + 0x3000n);
    w.p.setPasid(DEV, 1, { pgtt: Pgtt.PASS_THROUGH, did: 7 });
    w.rig.driver.submitAndWait(Desc.pasidCacheGlobal());
    expectAddr(w.rig, 1, PAGE, PAGE);
  });

  it('context-cache device-selective with a function mask covers the masked functions', async () => {
    const rig = await createRig();
    const p = new Platform(rig, true);
    const devs = [sid(2, 1, 0), sid(2, 1, 3), sid(2, 1, 4), sid(2, 2, 0)];
    for (const d of devs) {
      p.attachScalable(d);
      p.setPasid(d, 0, { pgtt: Pgtt.PASS_THROUGH, did: 1 });
    }
    p.boot();
    for (const d of devs) expect(rig.unit.translate(d, undefined, 0x1000n, R)).toMatchObject({ ok: true });
    for (const d of devs) rig.engine.phys.write64(p.contextEntryAddress(d), 0n);
    // FM = 10: SID bits 2:1 ignored, bit 0 still compared -> functions 0, 2, 4, 6 of device 1
    // (the mask drops function bits from the top): function 3 and device 2 keep their entries.
    rig.driver.submitAndWait(Desc.contextDevice(0, sid(2, 1, 0), 2));
    const blocked = devs.map((d) => !rig.unit.translate(d, undefined, 0x1000n, R).ok);
    expect(blocked).toEqual([true, false, true, false]);
    rig.driver.submitAndWait(Desc.contextGlobal());
    expect(devs.every((d) => !rig.unit.translate(d, undefined, 0x1000n, R).ok)).toBe(true);
  });

  it('legacy context-cache domain-selective drops entries of that DID only', async () => {
    const rig = await createRig();
    const p = new Platform(rig, false);
    p.attachLegacy(sid(0, 1, 0), { did: 1, tt: 2 });
    p.attachLegacy(sid(0, 2, 0), { did: 2, tt: 2 });
    p.boot(false);
    for (const d of [sid(0, 1, 0), sid(0, 2, 0)]) expect(rig.unit.translate(d, undefined, 0n, R).ok).toBe(true);
    for (const d of [sid(0, 1, 0), sid(0, 2, 0)]) rig.engine.phys.write64(p.contextEntryAddress(d), 0n);
    rig.driver.submitAndWait(Desc.contextDomain(2));
    expect(rig.unit.translate(sid(0, 1, 0), undefined, 0n, R).ok).toBe(true);
    expect(rig.unit.translate(sid(0, 2, 0), undefined, 0n, R)).toMatchObject({ ok: false, reason: 0x2 });
  });

  it('caching mode: a not-present PASID entry stays cached until the PASID cache is invalidated', async () => {
    for (const cachingMode of [false, true]) {
      const rig = await createRig({ cachingMode });
      const p = new Platform(rig, true);
      p.attachScalable(DEV);
      p.setPasid(DEV, 5, { pgtt: Pgtt.PASS_THROUGH, did: 3 });
      rig.engine.phys.write64(p.pasidEntryAddress(DEV, 5), 0n);
      p.boot();
      expect(rig.unit.translate(DEV, 5, 0x1000n, R)).toMatchObject({ ok: false, reason: 0x59 });
      p.setPasid(DEV, 5, { pgtt: Pgtt.PASS_THROUGH, did: 3 });
      expect(rig.unit.translate(DEV, 5, 0x1000n, R).ok).toBe(!cachingMode);
      rig.driver.submitAndWait(Desc.pasidCachePasid(3, 5));
      expect(rig.unit.translate(DEV, 5, 0x1000n, R).ok).toBe(true);
      expect((rig.unit.mmioRead(0x08, 8) >> 7n) & 1n).toBe(cachingMode ? 1n : 0n);
    }
  });

  it('nested: a host second-stage change needs IOTLB invalidation of the DID; PSI drops the nested entries', async () => {
    const rig = await createRig({ staleCheck: true });
    const p = new Platform(rig, true);
    const ss = secondStageTable(rig, 4);
    for (let gpa = 0n; gpa < 0x100_0000n; gpa += MiB2) rig.host.map(ss, gpa, 0x2000_0000n + gpa, 21, RW);
    let next = 0x10_0000n;
    const guest = new PageTableBuilder(gpaMemory(rig.engine, ss), { next: () => { const g = next; next += KiB4; return g; } });
    const fsRoot = guest.newTable();
    guest.map({ format: 'x86-64', levels: 4, root: fsRoot, ad: true, parent: ss }, 0x1000n, 0x80_0000n, 12, RWU);
    p.attachScalable(DEV);
    p.setPasid(DEV, 1, { pgtt: Pgtt.NESTED, did: 9, aw: 2, ssptptr: ss.root, fsptptr: fsRoot });
    p.boot();
    expectAddr(rig, 1, 0x1000n, 0x2080_0000n);
    // The host moves the guest page at GPA 8 MiB.
    rig.host.map(ss, 0x80_0000n, 0x3000_0000n, 21, RW);
    expectStale(rig, 1, 0x1000n, 0x2080_0000n);
    rig.driver.submitAndWait(Desc.iotlbPages(9, 0x80_0000n, 9));
    expectFresh(rig, 1, 0x1000n, 0x3000_0000n);
  });

  it('device-TLB, PASID device-TLB and interrupt-entry-cache descriptors are accepted (nothing modelled to drop)', async () => {
    const w = await world();
    expect(w.rig.driver.submitAndWait(Desc.deviceTlb(DEV, 0x1000n), Desc.pasidDeviceTlb(DEV, 1, 0x1000n), [0x4n, 0n])).toBe(true);
    expect(w.rig.unit.mmioRead(0x34, 4) & 0x10n).toBe(0n);
  });

  it('a wait with IF sets ICS.IWC and raises the completion interrupt once unmasked', async () => {
    const w = await world();
    w.rig.driver.submit(Desc.waitInterrupt());
    expect(w.rig.unit.mmioRead(0x9c, 4)).toBe(1n);
    expect(w.rig.interrupts).toEqual([]);
    expect(w.rig.unit.mmioRead(0xa0, 4)).toBe(0xc000_0000n); // IM, IP
    w.rig.unit.mmioWrite(0xa0, 4, 0);
    expect(w.rig.interrupts).toEqual(['invalidation']);
    w.rig.unit.mmioWrite(0x9c, 4, 1);
    expect(w.rig.unit.mmioRead(0x9c, 4)).toBe(0n);
    w.rig.driver.submit(Desc.waitInterrupt());
    expect(w.rig.interrupts).toEqual(['invalidation', 'invalidation']);
  });
});
