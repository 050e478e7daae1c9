// Legacy mode and malformed remapping structures: every bad root, context, PASID
// directory or PASID-table entry gives its architectural reason, recorded (or not,
// under FPD) in a fault recording register, and nothing else changes.
import { describe, expect, it } from 'vitest';
import { Access, Perm } from '../../src/engine/types.js';
import { Pgtt, Reason } from '../../src/hw/vtd/index.js';
import { createRig, firstStageTable, Platform, secondStageTable, sid, writeWords, type Rig } from './guest.js';

const DEV = sid(0, 3, 0);
const R = Access.READ;

async function legacy(): Promise<{ rig: Rig; platform: Platform }> {
  const rig = await createRig();
  return { rig, platform: new Platform(rig, false) };
}

describe('VT-d legacy mode', () => {
  it('translates through the context entry second stage; pass-through TT outputs the input', async () => {
    const { rig, platform } = await legacy();
    const ss = secondStageTable(rig, 4);
    rig.host.map(ss, 0x10_0000n, 0x2200_0000n, 12, Perm.R | Perm.W);
    platform.attachLegacy(DEV, { ssptptr: ss.root, aw: 2, did: 3 });
    platform.attachLegacy(DEV + 1, { did: 3, tt: 2 });
    platform.boot(false);
    expect(rig.unit.translate(DEV, undefined, 0x10_0abcn, Access.WRITE)).toMatchObject({ ok: true, addr: 0x2200_0abcn });
    expect(rig.unit.translate(DEV + 1, undefined, 0x10_0abcn, R)).toMatchObject({ ok: true, addr: 0x10_0abcn });
    expect(rig.unit.translate(DEV, 1, 0x10_0abcn, R)).toMatchObject({ ok: false, reason: Reason.BLOCKED_BY_CONTEXT });
    expect(rig.unit.translate(DEV, undefined, 0xfee0_0000n, R)).toMatchObject({ ok: false, reason: Reason.SS_READ });
  });
});

interface Case {
  name: string;
  reason: number;
  /** Breaks the structures after a good setup. */
  corrupt(rig: Rig, p: Platform): void;
  scalable?: boolean;
}

const FS_IOVA = 0x5000n;

function goodScalable(rig: Rig, p: Platform): void {
  const fs = firstStageTable(rig);
  rig.host.map(fs, FS_IOVA, 0x3000_0000n, 12, Perm.R | Perm.W | Perm.U);
  p.attachScalable(DEV);
  p.setPasid(DEV, 0, { pgtt: Pgtt.FIRST_STAGE, did: 1, fsptptr: fs.root });
}

function goodLegacy(rig: Rig, p: Platform): void {
  const ss = secondStageTable(rig, 4);
  rig.host.map(ss, FS_IOVA, 0x3000_0000n, 12, Perm.R | Perm.W);
  p.attachLegacy(DEV, { ssptptr: ss.root, aw: 2, did: 1 });
}

const orWord = (rig: Rig, at: bigint, bits: bigint) => rig.engine.phys.write64(at, (rig.engine.phys.read64(at) ?? 0n) | bits);
const andWord = (rig: Rig, at: bigint, bits: bigint) => rig.engine.phys.write64(at, (rig.engine.phys.read64(at) ?? 0n) & bits);
const HIGH = 1n << 39n; // above the engine's 40-bit host width once shifted into an address field

const cases: Case[] = [
  { name: 'root entry not present', reason: 0x1, corrupt: (rig, p) => andWord(rig, p.rta, ~1n) },
  { name: 'root entry reserved bit 1', reason: 0xa, corrupt: (rig, p) => orWord(rig, p.rta, 2n) },
  { name: 'legacy root entry upper half not zero', reason: 0xa, corrupt: (rig, p) => orWord(rig, p.rta + 8n, 1n) },
  { name: 'root entry pointer above the host width', reason: 0xa, corrupt: (rig, p) => orWord(rig, p.rta, HIGH << 1n) },
  { name: 'legacy context not present', reason: 0x2, corrupt: (rig, p) => andWord(rig, p.contextEntryAddress(DEV), ~1n) },
  { name: 'legacy context reserved bit 4', reason: 0xb, corrupt: (rig, p) => orWord(rig, p.contextEntryAddress(DEV), 0x10n) },
  { name: 'legacy context reserved bit 71', reason: 0xb, corrupt: (rig, p) => orWord(rig, p.contextEntryAddress(DEV) + 8n, 0x80n) },
  { name: 'legacy context DID above CAP.ND', reason: 0xb, corrupt: (rig, p) => orWord(rig, p.contextEntryAddress(DEV) + 8n, 1n << 23n) },
  { name: 'legacy context TT=11', reason: 0x3, corrupt: (rig, p) => orWord(rig, p.contextEntryAddress(DEV), 0xcn) },
  { name: 'legacy context TT=01 without device TLB support', reason: 0x3, corrupt: (rig, p) => orWord(rig, p.contextEntryAddress(DEV), 0x4n) },
  { name: 'legacy context AW not in SAGAW', reason: 0x3, corrupt: (rig, p) => orWord(rig, p.contextEntryAddress(DEV) + 8n, 4n) },
  { name: 'second-stage table not in memory', reason: 0x7, corrupt: (rig, p) => rig.engine.phys.write64(p.contextEntryAddress(DEV), 0x7f_0000_0000n | 1n) },
  { name: 'scalable root upper half reserved bit', scalable: true, reason: 0xa, corrupt: (rig, p) => orWord(rig, p.rta + 8n, 4n) },
  { name: 'scalable context not present', scalable: true, reason: 0x2, corrupt: (rig, p) => andWord(rig, p.contextEntryAddress(DEV), ~1n) },
  { name: 'scalable context reserved bit 5', scalable: true, reason: 0xb, corrupt: (rig, p) => orWord(rig, p.contextEntryAddress(DEV), 0x20n) },
  { name: 'scalable context reserved word 2', scalable: true, reason: 0xb, corrupt: (rig, p) => orWord(rig, p.contextEntryAddress(DEV) + 16n, 1n) },
  { name: 'scalable context reserved bit 85', scalable: true, reason: 0xb, corrupt: (rig, p) => orWord(rig, p.contextEntryAddress(DEV) + 8n, 1n << 21n) },
  { name: 'scalable context DTE without device TLB', scalable: true, reason: 0x3, corrupt: (rig, p) => orWord(rig, p.contextEntryAddress(DEV), 4n) },
  { name: 'PASID directory not in memory', scalable: true, reason: 0x50, corrupt: (rig, p) => rig.engine.phys.write64(p.contextEntryAddress(DEV), 0x7f_0000_0000n | 0xe09n) },
  { name: 'PASID directory entry not present', scalable: true, reason: 0x51, corrupt: (rig, p) => andWord(rig, (rig.engine.phys.read64(p.contextEntryAddress(DEV)) ?? 0n) & ~0xfffn, ~1n) },
  { name: 'PASID directory entry reserved bit 2', scalable: true, reason: 0x52, corrupt: (rig, p) => orWord(rig, (rig.engine.phys.read64(p.contextEntryAddress(DEV)) ?? 0n) & ~0xfffn, 4n) },
  { name: 'PASID entry not present', scalable: true, reason: 0x59, corrupt: (rig, p) => andWord(rig, p.pasidEntryAddress(DEV, 0), ~1n) },
  { name: 'PASID entry reserved bit 10', scalable: true, reason: 0x5a, corrupt: (rig, p) => orWord(rig, p.pasidEntryAddress(DEV, 0), 0x400n) },
  { name: 'PASID entry reserved word 3', scalable: true, reason: 0x5a, corrupt: (rig, p) => orWord(rig, p.pasidEntryAddress(DEV, 0) + 24n, 1n) },
  { name: 'PASID entry reserved bit 136', scalable: true, reason: 0x5a, corrupt: (rig, p) => orWord(rig, p.pasidEntryAddress(DEV, 0) + 16n, 0x100n) },
  { name: 'PASID entry PGTT=000', scalable: true, reason: 0x5b, corrupt: (rig, p) => andWord(rig, p.pasidEntryAddress(DEV, 0), ~0x1c0n) },
  { name: 'PASID entry PGTT=101', scalable: true, reason: 0x5b, corrupt: (rig, p) => orWord(rig, p.pasidEntryAddress(DEV, 0), 0x140n) },
  { name: 'PASID entry FSPM=10', scalable: true, reason: 0x5b, corrupt: (rig, p) => orWord(rig, p.pasidEntryAddress(DEV, 0) + 16n, 0x8n) },
  { name: 'PASID entry ERE without execute support', scalable: true, reason: 0x5b, corrupt: (rig, p) => orWord(rig, p.pasidEntryAddress(DEV, 0) + 16n, 0x2n) },
  { name: 'first-stage pointer above the host width', scalable: true, reason: 0x73, corrupt: (rig, p) => orWord(rig, p.pasidEntryAddress(DEV, 0) + 16n, HIGH << 1n) },
  { name: 'first-stage table not in memory', scalable: true, reason: 0x70, corrupt: (rig, p) => andWord(rig, p.pasidEntryAddress(DEV, 0) + 16n, 0xfffn) },
  { name: 'first-stage entry reserved bit (PS in PML4E)', scalable: true, reason: 0x72,
    corrupt: (rig, p) => { const root = (rig.engine.phys.read64(p.pasidEntryAddress(DEV, 0) + 16n) ?? 0n) & ~0xfffn; orWord(rig, root, 0x80n); } },
  { name: 'non-canonical first-stage input', scalable: true, reason: 0x80, corrupt: () => {} },
];

describe('VT-d malformed structures', () => {
  for (const c of cases) {
    it(`${c.name} -> reason 0x${c.reason.toString(16)}, recorded once, caches and IOTLB untouched`, async () => {
      const rig = await createRig();
      const p = new Platform(rig, c.scalable ?? false);
      (c.scalable ? goodScalable : goodLegacy)(rig, p);
      p.boot(c.scalable ?? false);
      c.corrupt(rig, p);
      const iova = c.name.startsWith('non-canonical') ? 0x8000_0000_0000n : FS_IOVA;
      const before = rig.engine.counters();
      const result = rig.unit.translate(DEV, undefined, iova, Access.READ);
      expect(result).toEqual({ ok: false, reason: c.reason, recorded: true });
      expect(rig.unit.faults.pending()).toEqual([{ index: 0, sid: DEV, pasid: undefined, addr: iova & ~0xfffn, reason: c.reason, write: false }]);
      // FSTS: PPF set, FRI moved to the next record, no overflow, no queue error.
      expect(rig.unit.mmioRead(0x34, 4)).toBe(0x102n);
      const after = rig.engine.counters();
      expect(after.iotlbFills).toBe(before.iotlbFills);
      expect(rig.unit.spaces.size).toBeLessThanOrEqual(2);
    });
  }

  it('FPD suppresses qualified faults but not unqualified ones', async () => {
    const rig = await createRig();
    const p = new Platform(rig, true);
    p.attachScalable(DEV, { fpd: true });
    p.boot();
    // No PASID table: 0x51 is qualified -> suppressed.
    expect(rig.unit.translate(DEV, undefined, 0x1000n, R)).toEqual({ ok: false, reason: 0x51, recorded: false });
    expect(rig.unit.faults.pending()).toEqual([]);
    // Reserved bit in the context entry: unqualified, recorded despite FPD.
    orWord(rig, p.contextEntryAddress(DEV), 0x20n);
    rig.driver.submitAndWait([0x1n | (1n << 4n), 0n]);
    expect(rig.unit.translate(DEV, undefined, 0x1000n, R)).toEqual({ ok: false, reason: 0xb, recorded: true });
  });

  it('a PASID entry FPD suppresses first-stage faults of that PASID only', async () => {
    const rig = await createRig();
    const p = new Platform(rig, true);
    const fs = firstStageTable(rig);
    p.attachScalable(DEV);
    p.setPasid(DEV, 1, { pgtt: Pgtt.FIRST_STAGE, did: 1, fsptptr: fs.root, fpd: true });
    p.setPasid(DEV, 2, { pgtt: Pgtt.FIRST_STAGE, did: 1, fsptptr: fs.root });
    p.boot();
    expect(rig.unit.translate(DEV, 1, 0x1000n, R)).toEqual({ ok: false, reason: 0x71, recorded: false });
    expect(rig.unit.translate(DEV, 2, 0x1000n, R)).toEqual({ ok: false, reason: 0x71, recorded: true });
  });

  it('an invalid TTM latched by SRTP faults every request with 0x31', async () => {
    const rig = await createRig();
    const p = new Platform(rig, true);
    goodScalable(rig, p);
    rig.unit.mmioWrite(0x20, 8, p.rta | (2n << 10n));
    rig.driver.command(1 << 30);
    rig.driver.enableTranslation();
    expect(rig.unit.translate(DEV, undefined, FS_IOVA, R)).toEqual({ ok: false, reason: 0x31, recorded: true });
  });

  it('writes into the entries before any invalidation are not seen while the context is cached', async () => {
    const rig = await createRig();
    const p = new Platform(rig, false);
    goodLegacy(rig, p);
    p.boot(false);
    expect(rig.unit.translate(DEV, undefined, FS_IOVA, R)).toMatchObject({ ok: true });
    writeWords(rig.engine.phys, p.contextEntryAddress(DEV), [0n, 0n]);
    expect(rig.unit.translate(DEV, undefined, FS_IOVA, R)).toMatchObject({ ok: true, addr: 0x3000_0000n });
    rig.driver.submitAndWait([0x1n | (3n << 4n) | (1n << 16n) | (BigInt(DEV) << 32n), 0n]);
    expect(rig.unit.translate(DEV, undefined, FS_IOVA, R)).toEqual({ ok: false, reason: 0x2, recorded: true });
  });
});
