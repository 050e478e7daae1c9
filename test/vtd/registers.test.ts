// The register file as a simulator sees it: capability values, command/status,
// refused writes that change nothing, the invalidation queue's error handling, and
// fault recording with overflow.
import { describe, expect, it } from 'vitest';
import { Access, Perm } from '../../src/engine/types.js';
import { Gcmd, Pgtt, Reg } from '../../src/hw/vtd/index.js';
import { createRig, Desc, firstStageTable, Platform, sid, writeWords, type Rig } from './guest.js';

const DEV = sid(0, 4, 0);
const field = (v: bigint, hi: number, lo: number) => Number((v >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n));

describe('VT-d capability registers', () => {
  it('CAP and ECAP describe what the model does', async () => {
    const { unit } = await createRig();
    const cap = unit.mmioRead(Reg.CAP, 8);
    expect({
      nd: field(cap, 2, 0), cm: field(cap, 7, 7), sagaw: field(cap, 12, 8), mgaw: field(cap, 21, 16) + 1,
      fro: field(cap, 33, 24) * 16, sllps: field(cap, 37, 34), psi: field(cap, 39, 39), nfr: field(cap, 47, 40) + 1,
      mamv: field(cap, 53, 48), fs1gp: field(cap, 56, 56), fs5lp: field(cap, 60, 60), rwbf: field(cap, 4, 4), afl: field(cap, 3, 3),
    }).toEqual({ nd: 3, cm: 0, sagaw: 0b01110, mgaw: 57, fro: 0x200, sllps: 0b0011, psi: 1, nfr: 8, mamv: 18, fs1gp: 1, fs5lp: 1, rwbf: 0, afl: 0 });
    const ecap = unit.mmioRead(Reg.ECAP, 8);
    const bits = (positions: number[]) => positions.map((p) => field(ecap, p, p));
    // C QI DT IR PT NEST PRS ERS SRS EAFS PASID SMTS SSADS SSTS FLTS SMPWCS RPS
    expect(bits([0, 1, 2, 3, 6, 26, 29, 30, 31, 34, 40, 43, 45, 46, 47, 48, 49])).toEqual([1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(field(ecap, 39, 35) + 1).toBe(20);
    expect(field(ecap, 17, 8) * 16).toBe(0x100);
    // A 64-bit register read as two halves.
    expect(unit.mmioRead(Reg.CAP, 4) | (unit.mmioRead(Reg.CAP + 4, 4) << 32n)).toBe(cap);
  });
});

describe('VT-d command and status', () => {
  it('SRTP latches RTADDR; TE and QIE follow GCMD; GCMD reads as 0', async () => {
    const rig = await createRig();
    const { unit, driver } = rig;
    driver.write(Reg.RTADDR, 0x123_4000n | (1n << 10n));
    expect(unit.mmioRead(Reg.GSTS, 4)).toBe(0n);
    driver.command(Gcmd.SRTP);
    expect(unit.mmioRead(Reg.GSTS, 4)).toBe(BigInt(1 << 30));
    expect(unit.scalableMode).toBe(true);
    driver.enableQueue();
    driver.enableTranslation();
    expect(unit.mmioRead(Reg.GSTS, 4)).toBe(BigInt((1 << 31) | (1 << 30) | (1 << 26)) & 0xffff_ffffn);
    expect(unit.mmioRead(Reg.GCMD, 4)).toBe(0n);
    // 64-bit access over GCMD+GSTS.
    expect(unit.mmioRead(Reg.GCMD, 8) >> 32n).toBe(unit.mmioRead(Reg.GSTS, 4));
  });

  it('writes with reserved bits change nothing and are noted', async () => {
    const rig = await createRig();
    const { unit, driver } = rig;
    driver.write(Reg.RTADDR, 0x5000n);
    for (const [offset, value] of [[Reg.RTADDR, 0x5000n | 1n], [Reg.RTADDR, 1n << 45n], [Reg.IQA, 0x6000n | 8n], [Reg.IQT, 0x8n], [Reg.PQA, 0x7000n | 0x10n]] as const) {
      const before = unit.mmioRead(offset, 8);
      driver.write(offset, value);
      expect(unit.mmioRead(offset, 8)).toBe(before);
    }
    expect(unit.refusedWrites.map((w) => w.offset)).toEqual([Reg.RTADDR, Reg.RTADDR, Reg.IQA, Reg.IQT, Reg.PQA]);
    // A legal write through two 32-bit halves.
    driver.write(Reg.RTADDR, 0x9000n, 4);
    driver.write(Reg.RTADDR + 4, 0x12n, 4);
    expect(unit.mmioRead(Reg.RTADDR, 8)).toBe(0x12_0000_9000n);
  });

  it('QIE is refused with IQT not 0 or IQA beyond the host width; IQA cannot move while enabled', async () => {
    const rig = await createRig();
    const { unit, driver } = rig;
    driver.write(Reg.IQA, (1n << 41n) | (1n << 11n));
    driver.command(Gcmd.QIE);
    expect(unit.mmioRead(Reg.GSTS, 4) & BigInt(Gcmd.QIE)).toBe(0n);
    driver.write(Reg.IQA, 0x20_0000n);
    driver.write(Reg.IQT, 0x10n);
    driver.command(Gcmd.QIE);
    expect(unit.mmioRead(Reg.GSTS, 4) & BigInt(Gcmd.QIE)).toBe(0n);
    driver.write(Reg.IQT, 0n);
    driver.command(Gcmd.QIE);
    expect(unit.mmioRead(Reg.GSTS, 4) & BigInt(Gcmd.QIE)).toBe(BigInt(Gcmd.QIE));
    driver.write(Reg.IQA, 0x30_0000n);
    expect(unit.mmioRead(Reg.IQA, 8)).toBe(0x20_0000n);
    expect(unit.mmioRead(Reg.FSTS, 4)).toBe(0n);
  });
});

interface QueueWorld { rig: Rig; p: Platform; fsRoot: bigint }

async function queueWorld(): Promise<QueueWorld> {
  const rig = await createRig({ staleCheck: true });
  const p = new Platform(rig, true);
  const fs = firstStageTable(rig);
  rig.host.map(fs, 0x1000n, 0x2000_0000n, 12, Perm.R | Perm.W | Perm.U);
  p.attachScalable(DEV);
  p.setPasid(DEV, 1, { pgtt: Pgtt.FIRST_STAGE, did: 2, fsptptr: fs.root });
  p.boot();
  expect(rig.unit.translate(DEV, 1, 0x1000n, Access.READ)).toMatchObject({ ok: true, addr: 0x2000_0000n });
  rig.host.map(fs, 0x1000n, 0x2100_0000n, 12, Perm.R | Perm.W | Perm.U);
  return { rig, p, fsRoot: fs.root };
}

const bad: [string, bigint[]][] = [
  ['type 0', [0n, 0n]],
  ['type 0xA (page stream response)', [0xan, 0n]],
  ['type 0x15 (type bits 11:9)', [0x5n | (1n << 9n), 0n]],
  ['context-cache granularity 00', [0x1n, 0n]],
  ['context-cache reserved bit 6', [0x1n | 0x10n | 0x40n, 0n]],
  ['context-cache QW1 not zero', [0x1n | 0x10n, 1n]],
  ['IOTLB granularity 00', [0x2n, 0n]],
  ['IOTLB reserved bit 40', [0x2n | 0x20n | (1n << 40n), 0n]],
  ['IOTLB reserved bit 7 of QW1', [0x2n | 0x30n | (2n << 16n), 0x80n]],
  ['IOTLB AM above MAMV', [0x2n | 0x30n | (2n << 16n), 19n]],
  ['IOTLB address not aligned to AM', [0x2n | 0x30n | (2n << 16n), 0x1000n | 1n]],
  ['P_IOTLB granularity 00', [0x6n | (2n << 16n), 0n]],
  ['P_IOTLB granularity 01', [0x6n | 0x10n | (2n << 16n), 0n]],
  ['P_IOTLB reserved bit 60', [0x6n | 0x20n | (1n << 60n), 0n]],
  ['PASID-cache granularity 10', [0x7n | 0x20n, 0n]],
  ['PASID-cache QW1 not zero', [0x7n | 0x30n, 4n]],
  ['wait reserved bit 12', [0x5n | (1n << 12n), 0n]],
  ['wait status address low bits', [0x5n | 0x20n, 0x1001n]],
  ['wait status address beyond the host width', [0x5n | 0x20n, 1n << 44n]],
  ['page group response reserved QW1 bits', [0x9n, 1n << 20n]],
  ['device-TLB reserved bit 25', [0x3n | (1n << 25n), 0n]],
];

describe('VT-d invalid descriptors', () => {
  for (const [name, words] of bad) {
    it(`${name}: IQE, IQH stays on it, nothing after it runs, nothing invalidated`, async () => {
      const { rig } = await queueWorld();
      const badAt = rig.driver.tailOffset;
      rig.engine.phys.write64(rig.driver.status, 0n);
      rig.driver.submit(words, Desc.pasidAll(2, 1), Desc.wait(rig.driver.status, 7));
      expect(rig.unit.mmioRead(Reg.FSTS, 4)).toBe(0x10n);
      expect(rig.unit.mmioRead(Reg.IQH, 8)).toBe(badAt);
      expect(rig.engine.phys.read64(rig.driver.status)).toBe(0n);
      const stale = rig.engine.counters().staleHits;
      expect(rig.unit.translate(DEV, 1, 0x1000n, Access.READ)).toMatchObject({ ok: true, addr: 0x2000_0000n });
      expect(rig.engine.counters().staleHits).toBe(stale + 1);
      // The driver replaces the bad descriptor and clears IQE: the queue resumes from IQH.
      writeWords(rig.engine.phys, rig.driver.queue + badAt, [0x4n, 0n, 0n, 0n]);
      rig.unit.mmioWrite(Reg.FSTS, 4, 0x10);
      expect(rig.unit.mmioRead(Reg.FSTS, 4)).toBe(0n);
      expect(rig.engine.phys.read64(rig.driver.status)).toBe(7n);
      expect(rig.unit.translate(DEV, 1, 0x1000n, Access.READ)).toMatchObject({ ok: true, addr: 0x2100_0000n });
    });
  }

  it('a 256-bit descriptor with a non-zero upper half is invalid', async () => {
    const { rig } = await queueWorld();
    rig.driver.submit([...Desc.pasidAll(2, 1), 1n, 0n]);
    expect(rig.unit.mmioRead(Reg.FSTS, 4)).toBe(0x10n);
  });

  it('a tail that is not a 256-bit slot raises IQE', async () => {
    const { rig } = await queueWorld();
    rig.unit.mmioWrite(Reg.IQT, 8, 0x10n);
    expect(rig.unit.mmioRead(Reg.FSTS, 4)).toBe(0x10n);
    expect(rig.unit.mmioRead(Reg.IQH, 8)).toBe(0n);
  });

  it('128-bit descriptors work in a 128-bit queue', async () => {
    const rig = await createRig();
    const p = new Platform(rig, false);
    p.boot(false);
    expect(rig.driver.submitAndWait(Desc.iotlbGlobal(), Desc.contextGlobal())).toBe(true);
    expect(rig.unit.mmioRead(Reg.IQH, 8)).toBe(0x30n);
  });
});

describe('VT-d fault recording', () => {
  it('records round-robin, overflows into PFO, and frees a record on F write-1-to-clear', async () => {
    const rig = await createRig({ faultRecords: 2 });
    const p = new Platform(rig, true);
    p.boot();
    const fault = (iova: bigint) => rig.unit.translate(DEV, undefined, iova, Access.WRITE);
    expect(fault(0x1000n)).toEqual({ ok: false, reason: 0x1, recorded: true });
    expect(fault(0x2000n)).toEqual({ ok: false, reason: 0x1, recorded: true });
    expect(rig.unit.mmioRead(Reg.FSTS, 4)).toBe(0x2n); // PPF, FRI wrapped to 0
    expect(fault(0x3000n)).toEqual({ ok: false, reason: 0x1, recorded: false });
    expect(rig.unit.mmioRead(Reg.FSTS, 4)).toBe(0x3n); // PFO
    expect(rig.unit.faults.lost).toBe(1);
    const high = rig.unit.mmioRead(0x208, 8);
    expect({ sid: field(high, 15, 0), fr: field(high, 39, 32), t: field(high, 62, 62), f: field(high, 63, 63) }).toEqual({ sid: DEV, fr: 1, t: 0, f: 1 });
    expect(rig.unit.mmioRead(0x200, 8)).toBe(0x1000n);
    // Clear F of record 0 with a 32-bit write of the top dword, PFO with FSTS.
    rig.unit.mmioWrite(0x20c, 4, 0x8000_0000);
    rig.unit.mmioWrite(Reg.FSTS, 4, 1);
    expect(rig.unit.mmioRead(Reg.FSTS, 4)).toBe(0x2n);
    expect(fault(0x4000n)).toEqual({ ok: false, reason: 0x1, recorded: true });
    expect(rig.unit.mmioRead(0x200, 8)).toBe(0x4000n);
    expect(rig.unit.mmioRead(Reg.FSTS, 4)).toBe(0x102n);
    // The fault event was pending under the reset mask; unmasking delivers it.
    expect(rig.interrupts).toEqual([]);
    rig.unit.mmioWrite(Reg.FECTL, 4, 0);
    expect(rig.interrupts).toEqual(['fault']);
  });
});

describe('VT-d register-based invalidation', () => {
  it('CCMD and IOTLB_REG invalidate when the queue is off and report the granularity done', async () => {
    const rig = await createRig({ staleCheck: true });
    const p = new Platform(rig, true);
    const fs = firstStageTable(rig);
    rig.host.map(fs, 0x1000n, 0x2000_0000n, 12, Perm.R | Perm.U);
    p.attachScalable(DEV);
    p.setPasid(DEV, 0, { pgtt: Pgtt.FIRST_STAGE, did: 3, fsptptr: fs.root });
    rig.driver.setRootTable(p.rta, true);
    rig.driver.enableTranslation();
    expect(rig.unit.translate(DEV, undefined, 0x1000n, Access.READ)).toMatchObject({ addr: 0x2000_0000n });
    rig.host.map(fs, 0x1000n, 0x2200_0000n, 12, Perm.R | Perm.U);
    rig.unit.mmioWrite(0x108, 8, (1n << 63n) | (2n << 60n) | (3n << 32n));
    expect(field(rig.unit.mmioRead(0x108, 8), 63, 63)).toBe(0);
    expect(field(rig.unit.mmioRead(0x108, 8), 58, 57)).toBe(2);
    expect(rig.unit.translate(DEV, undefined, 0x1000n, Access.READ)).toMatchObject({ addr: 0x2200_0000n });
    rig.engine.phys.write64(p.contextEntryAddress(DEV), 0n);
    rig.unit.mmioWrite(Reg.CCMD, 8, (1n << 63n) | (1n << 61n));
    expect(field(rig.unit.mmioRead(Reg.CCMD, 8), 60, 59)).toBe(1);
    expect(rig.unit.translate(DEV, undefined, 0x1000n, Access.READ)).toMatchObject({ ok: false, reason: 0x2 });
  });
});
