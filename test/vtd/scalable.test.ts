// Scalable mode driven through guest memory: first-stage, second-stage, nested and
// pass-through PASIDs; RID_PASID; SRE/WPE/EAFE; the context fields a request checks.
import { describe, expect, it } from 'vitest';
import { Access, Perm } from '../../src/engine/types.js';
import { Pgtt, Reason } from '../../src/hw/vtd/index.js';
import { createRig, firstStageTable, gpaMemory, KiB4, MiB2, Platform, secondStageTable, sid, type Rig } from './guest.js';
import { PageTableBuilder } from '../../src/oracle/index.js';

const DEV = sid(3, 2, 1);
const R = Access.READ;
const W = Access.WRITE;
const RWU = Perm.R | Perm.W | Perm.U;

async function scalable(options = {}): Promise<{ rig: Rig; platform: Platform }> {
  const rig = await createRig(options);
  const platform = new Platform(rig, true);
  return { rig, platform };
}

describe('VT-d scalable mode', () => {
  it('translates a first-stage PASID through tables the guest wrote, 4 KiB, 2 MiB and 1 GiB pages', async () => {
    const { rig, platform } = await scalable();
    const fs = firstStageTable(rig);
    rig.host.map(fs, 0x7000_0000n, 0x2000_0000n, 12, RWU);
    rig.host.map(fs, 0x8000_0000n, 0x2020_0000n, 21, RWU);
    rig.host.map(fs, 0x1_0000_0000n, 0x4000_0000n, 30, RWU);
    platform.attachScalable(DEV);
    platform.setPasid(DEV, 5, { pgtt: Pgtt.FIRST_STAGE, did: 7, fsptptr: fs.root });
    platform.boot();
    expect(rig.unit.translate(DEV, 5, 0x7000_0123n, R)).toMatchObject({ ok: true, addr: 0x2000_0123n });
    expect(rig.unit.translate(DEV, 5, 0x8001_2345n, W)).toMatchObject({ ok: true, addr: 0x2021_2345n });
    expect(rig.unit.translate(DEV, 5, 0x1_2345_6789n, R)).toMatchObject({ ok: true, addr: 0x6345_6789n });
    // The unit set A on the path and D on the written leaf, as first-stage hardware does.
    const leaf2M = rig.engine.phys.read64(fs.root + 0n) ?? 0n;
    expect(leaf2M & 0x20n).toBe(0x20n);
    expect(rig.unit.translate(DEV, 5, 0x7000_1000n, R)).toMatchObject({ ok: false, reason: Reason.FS_NOT_PRESENT, recorded: true });
    expect(rig.unit.faults.pending()).toEqual([{ index: 0, sid: DEV, pasid: 5, addr: 0x7000_1000n, reason: 0x71, write: false }]);
  });

  it('requests without PASID use RID_PASID from the context entry', async () => {
    const { rig, platform } = await scalable();
    const fs = firstStageTable(rig);
    rig.host.map(fs, 0x1000n, 0x3000_0000n, 12, RWU);
    platform.attachScalable(DEV, { ridPasid: 9 });
    platform.setPasid(DEV, 9, { pgtt: Pgtt.FIRST_STAGE, did: 2, fsptptr: fs.root });
    platform.boot();
    expect(rig.unit.translate(DEV, undefined, 0x1008n, R)).toMatchObject({ ok: true, addr: 0x3000_0008n });
    expect(rig.unit.translate(DEV, 9, 0x1008n, W)).toMatchObject({ ok: true, addr: 0x3000_0008n });
  });

  it('second-stage PASIDs use AW levels and report second-stage reasons', async () => {
    const { rig, platform } = await scalable();
    const ss = secondStageTable(rig, 3);
    rig.host.map(ss, 0x40_0000n, 0x2100_0000n, 12, Perm.R);
    platform.attachScalable(DEV);
    platform.setPasid(DEV, 1, { pgtt: Pgtt.SECOND_STAGE, did: 4, aw: 1, ssptptr: ss.root });
    platform.boot();
    expect(rig.unit.translate(DEV, 1, 0x40_0010n, R)).toMatchObject({ ok: true, addr: 0x2100_0010n });
    expect(rig.unit.translate(DEV, 1, 0x40_0010n, W)).toMatchObject({ ok: false, reason: Reason.SS_WRITE });
    expect(rig.unit.translate(DEV, 1, 0x50_0000n, R)).toMatchObject({ ok: false, reason: Reason.SS_READ });
    // 3 levels cover 39 bits.
    expect(rig.unit.translate(DEV, 1, 1n << 39n, R)).toMatchObject({ ok: false, reason: Reason.ADDRESS_BEYOND_AW });
  });

  it('nested PASIDs walk guest first-stage tables through the host second stage', async () => {
    const { rig, platform } = await scalable();
    const ss = secondStageTable(rig, 4);
    // Guest RAM: GPA [0, 16 MiB) -> HPA 0x2000_0000 + GPA.
    for (let gpa = 0n; gpa < 0x100_0000n; gpa += MiB2) rig.host.map(ss, gpa, 0x2000_0000n + gpa, 21, Perm.R | Perm.W);
    const guest = gpaMemory(rig.engine, ss);
    let nextGpa = 0x10_0000n;
    const guestTables = new PageTableBuilder(guest, { next: () => { const p = nextGpa; nextGpa += KiB4; return p; } });
    const fsRoot = guestTables.newTable();
    const fs = { format: 'x86-64' as const, levels: 4, root: fsRoot, ad: true, parent: ss };
    guestTables.map(fs, 0x7f00_0000_0000n, 0x80_0000n, 12, RWU);
    platform.attachScalable(DEV);
    platform.setPasid(DEV, 3, { pgtt: Pgtt.NESTED, did: 5, aw: 2, ssptptr: ss.root, fsptptr: fsRoot });
    platform.boot();
    expect(rig.unit.translate(DEV, 3, 0x7f00_0000_0abcn, W)).toMatchObject({ ok: true, addr: 0x2080_0abcn });
    // An output GPA the host does not map is a second-stage fault.
    guestTables.map(fs, 0x7f00_0000_1000n, 0x4000_0000n, 12, RWU);
    expect(rig.unit.translate(DEV, 3, 0x7f00_0000_1000n, R)).toMatchObject({ ok: false, reason: Reason.SS_READ });
  });

  it('pass-through PASIDs output the input address', async () => {
    const { rig, platform } = await scalable();
    platform.attachScalable(DEV);
    platform.setPasid(DEV, 0, { pgtt: Pgtt.PASS_THROUGH, did: 1 });
    platform.boot();
    expect(rig.unit.translate(DEV, undefined, 0x1234_5678n, W)).toMatchObject({ ok: true, addr: 0x1234_5678n });
  });

  it('privileged requests need SRE; supervisor writes ignore R/W unless WPE', async () => {
    const { rig, platform } = await scalable();
    const fs = firstStageTable(rig);
    rig.host.map(fs, 0x1000n, 0x3000_0000n, 12, Perm.R); // read-only, supervisor page
    platform.attachScalable(DEV);
    platform.setPasid(DEV, 1, { pgtt: Pgtt.FIRST_STAGE, did: 1, fsptptr: fs.root });
    platform.setPasid(DEV, 2, { pgtt: Pgtt.FIRST_STAGE, did: 1, fsptptr: fs.root, sre: true });
    platform.setPasid(DEV, 3, { pgtt: Pgtt.FIRST_STAGE, did: 1, fsptptr: fs.root, sre: true, wpe: true });
    platform.boot();
    expect(rig.unit.translate(DEV, 1, 0x1000n, R, { privileged: true })).toMatchObject({ ok: false, reason: Reason.FS_PRIVILEGE });
    expect(rig.unit.translate(DEV, 2, 0x1000n, R, { privileged: true })).toMatchObject({ ok: true, addr: 0x3000_0000n });
    expect(rig.unit.translate(DEV, 2, 0x1000n, W, { privileged: true })).toMatchObject({ ok: true, addr: 0x3000_0000n });
    expect(rig.unit.translate(DEV, 3, 0x1000n, W, { privileged: true })).toMatchObject({ ok: false, reason: Reason.SM_WRITE });
    // A user request to a supervisor page is a U/S violation.
    expect(rig.unit.translate(DEV, 2, 0x1000n, R)).toMatchObject({ ok: false, reason: Reason.FS_PRIVILEGE });
  });

  it('EAFE sets the extended-accessed bit wherever the walk set A', async () => {
    const { rig, platform } = await scalable();
    const fs = firstStageTable(rig);
    rig.host.map(fs, 0x1000n, 0x3000_0000n, 12, RWU);
    platform.attachScalable(DEV);
    platform.setPasid(DEV, 1, { pgtt: Pgtt.FIRST_STAGE, did: 1, fsptptr: fs.root, eafe: true });
    platform.boot();
    expect(rig.unit.translate(DEV, 1, 0x1000n, R)).toMatchObject({ ok: true });
    const top = rig.engine.phys.read64(fs.root) ?? 0n;
    expect(top & 0x420n).toBe(0x420n);
  });

  it('a request with a PASID on a context without PASIDE is blocked', async () => {
    const { rig, platform } = await scalable();
    platform.attachScalable(DEV, { pasidEnable: false });
    platform.setPasid(DEV, 0, { pgtt: Pgtt.PASS_THROUGH, did: 1 });
    platform.boot();
    expect(rig.unit.translate(DEV, 4, 0x1000n, R)).toMatchObject({ ok: false, reason: Reason.BLOCKED_BY_CONTEXT });
    expect(rig.unit.translate(DEV, undefined, 0x1000n, R)).toMatchObject({ ok: true, addr: 0x1000n });
  });

  it('outputs in the interrupt range fault with 0x87', async () => {
    const { rig, platform } = await scalable();
    platform.attachScalable(DEV);
    platform.setPasid(DEV, 0, { pgtt: Pgtt.PASS_THROUGH, did: 1 });
    platform.boot();
    expect(rig.unit.translate(DEV, undefined, 0xfee0_1000n, W)).toMatchObject({ ok: false, reason: Reason.SM_INTERRUPT_RANGE, recorded: true });
  });

  it('with translation disabled, DMA is untranslated', async () => {
    const { rig, platform } = await scalable();
    rig.unit.mmioWrite(0x20, 8, platform.rta | (1n << 10n));
    expect(rig.unit.translate(DEV, undefined, 0xabc000n, R)).toEqual({ ok: true, addr: 0xabc000n });
  });
});
