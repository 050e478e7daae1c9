// Page requests: a fault on a PRE-enabled context becomes a page request descriptor
// in the page request queue; the driver maps the page and answers with a page group
// response on the invalidation queue; the device retries and translates.
import { describe, expect, it } from 'vitest';
import { Access, Perm } from '../../src/engine/types.js';
import { Pgtt, Reg, type PageResponse } from '../../src/hw/vtd/index.js';
import { createRig, Desc, firstStageTable, Platform, sid, zeroPage } from './guest.js';

const DEV = sid(5, 0, 0);

async function prqWorld(pre = true, pages = 0) {
  const responses: PageResponse[] = [];
  const rig = await createRig({ onPageResponse: (r) => responses.push(r) });
  const p = new Platform(rig, true);
  const fs = firstStageTable(rig);
  p.attachScalable(DEV, { pre });
  p.setPasid(DEV, 4, { pgtt: Pgtt.FIRST_STAGE, did: 1, fsptptr: fs.root });
  p.boot();
  const prq = zeroPage(rig.engine.phys, rig.frames);
  for (let i = 0; i < (1 << pages) - 1; i++) rig.frames.next();
  rig.unit.mmioWrite(Reg.PQA, 8, prq | BigInt(pages));
  return { rig, p, fs, prq, responses };
}

describe('VT-d page requests', () => {
  it('queues a request for a not-present page and completes it with a page group response', async () => {
    const { rig, fs, prq, responses } = await prqWorld();
    const miss = rig.unit.translate(DEV, 4, 0x7000_0123n, Access.WRITE, { requestPage: { groupIndex: 17 } });
    expect(miss).toEqual({ ok: false, reason: 0x71, recorded: false, pageRequest: 'queued' });
    expect(rig.unit.faults.pending()).toEqual([]);
    expect(rig.unit.mmioRead(Reg.PQT, 8)).toBe(32n);
    expect(rig.unit.mmioRead(Reg.PRS, 4)).toBe(1n);
    const [q0, q1, q2, q3] = [0, 8, 16, 24].map((o) => rig.engine.phys.read64(prq + BigInt(o)));
    expect(q0).toBe(1n | (1n << 8n) | (BigInt(DEV) << 16n) | (4n << 32n));
    expect(q1).toBe(2n | 4n | (17n << 3n) | 0x7000_0000n);
    expect([q2, q3]).toEqual([0n, 0n]);
    // The driver consumes the entry, maps the page and responds.
    rig.unit.mmioWrite(Reg.PQH, 8, 32n);
    rig.unit.mmioWrite(Reg.PRS, 4, 1);
    rig.host.map(fs, 0x7000_0000n, 0x2400_0000n, 12, Perm.R | Perm.W | Perm.U);
    rig.driver.submitAndWait(Desc.pageGroupResponse(DEV, 4, 17, 0));
    expect(responses).toEqual([{ rid: DEV, pasid: 4, groupIndex: 17, code: 0, matched: true, byHardware: false }]);
    expect(rig.unit.pageRequests.outstandingGroups()).toBe(0);
    expect(rig.unit.translate(DEV, 4, 0x7000_0123n, Access.WRITE)).toMatchObject({ ok: true, addr: 0x2400_0123n });
  });

  it('without PRE the fault is recorded (0x71) and an explicit page request gets 0x47 and an Invalid Request answer', async () => {
    const { rig, responses } = await prqWorld(false);
    expect(rig.unit.translate(DEV, 4, 0x1000n, Access.READ, { requestPage: { groupIndex: 1 } }))
      .toEqual({ ok: false, reason: 0x71, recorded: true });
    expect(rig.unit.pageRequest(DEV, 4, 0x1000n, Access.READ, { groupIndex: 2 })).toBe('refused');
    expect(rig.unit.faults.pending().map((f) => f.reason)).toEqual([0x71, 0x47]);
    expect(responses).toEqual([{ rid: DEV, pasid: 4, groupIndex: 2, code: 1, matched: false, byHardware: true }]);
  });

  it('a full queue sets PRO, loses the request and answers a last-in-group request itself', async () => {
    const { rig, responses } = await prqWorld(true, 0);
    // 4 KiB holds 128 entries; one slot stays empty to tell full from empty.
    for (let i = 0; i < 127; i++) expect(rig.unit.pageRequest(DEV, 4, BigInt(i) << 12n, Access.READ, { groupIndex: i, lastInGroup: false })).toBe('queued');
    expect(rig.unit.pageRequest(DEV, 4, 0x99_0000n, Access.READ, { groupIndex: 300 & 511 })).toBe('lost');
    expect(rig.unit.mmioRead(Reg.PRS, 4)).toBe(3n);
    expect(responses).toEqual([{ rid: DEV, pasid: 4, groupIndex: 300, code: 0, matched: false, byHardware: true }]);
    // The page request interrupt was raised once (PPR 0 -> 1) and is pending under the mask.
    expect(rig.unit.mmioRead(Reg.PECTL, 4)).toBe(0xc000_0000n);
    rig.unit.mmioWrite(Reg.PECTL, 4, 0);
    expect(rig.interrupts).toEqual(['page-request']);
  });
});
