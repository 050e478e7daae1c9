// The comparison itself: one request through the engine and through the oracle,
// on the same memory, with everything observable compared.

import { expect } from 'vitest';
import { Access, type Translation } from '../../../src/engine/types.js';
import { oracleTranslate } from '../../../src/oracle/index.js';
import { hex } from './addresses.js';
import { OverlayMemory } from './memory.js';
import { withoutAd, type SpaceRef, type World } from './world.js';

export function describeAccess(access: number): string {
  const kind = access & Access.WRITE ? 'WRITE' : access & Access.EXEC ? 'EXEC' : access & Access.READ ? 'READ' : 'NONE';
  return access & Access.USER ? `${kind}|USER` : kind;
}

/** What engine.translate reports: the output on success, the fault and where otherwise. */
function translateShape(t: Translation) {
  return t.fault === 0 ? { fault: 0, addr: t.addr } : { fault: t.fault, stage: t.stage, level: t.level, addr: t.addr };
}

/**
 * Cached translation: engine.translate against the oracle. With A/D on, the oracle
 * walks first over an overlay (its writes stay there) and the engine's own A/D
 * writes must then be exactly the overlay's. The fault ring must hold exactly this
 * request's fault.
 *
 * One exception, which hardware shares: a nested IOTLB entry can be smaller than the
 * leaves it came from, so a split of a large page (a partial unmap, stage 1 or 2)
 * leaves other entries of that page valid while the new split entries have A and D
 * clear. A hit on such an entry walks nothing and sets nothing, while the oracle,
 * which always walks, sets them. So on a nested IOTLB hit only "the engine wrote
 * nothing" is checked. Flat IOTLB entries are exactly one leaf each: there, a hit
 * must find nothing the oracle would write.
 */
export function checkTranslate(world: World, space: SpaceRef, iova: bigint, access: number, context: string): Translation {
  const { engine, paBits } = world;
  const where = `${context}: translate space ${space.id} ${hex(iova)} ${describeAccess(access)}`;
  const overlay = new OverlayMemory(engine.phys);
  const expected = oracleTranslate(overlay, paBits, space.desc, iova, access);
  const before = engine.counters();
  const actual = engine.translate(space.id, iova, access);
  const after = engine.counters();
  const r = { fault: actual.fault, stage: actual.stage, level: actual.level, addr: actual.addr };
  expect(actual.fault === 0 ? { fault: 0, addr: r.addr } : r, where).toEqual(translateShape(expected));

  const adWrites = after.adWrites - before.adWrites;
  if (space.desc.parent !== undefined && after.walks === before.walks) {
    expect(adWrites, `${where}: A/D writes on an IOTLB hit`).toBe(0);
  } else {
    for (const [addr, value] of overlay.written) {
      expect(engine.phys.read64(addr), `${where}: A/D word at ${hex(addr)}`).toBe(value);
    }
    expect(adWrites, `${where}: A/D writes`).toBe(overlay.writes);
  }

  const faults = engine.drainFaults().map(({ sequence: _s, ...f }) => f);
  const expectedFaults = expected.fault === 0 ? [] : [{
    iova, addr: expected.addr, space: space.id, reason: expected.fault, stage: expected.stage, level: expected.level, access,
  }];
  expect(faults, `${where}: fault records`).toEqual(expectedFaults);
  return expected;
}

/**
 * Walk without the IOTLB and without A/D writes (with the walk caches or not): the
 * full Translation (perms, page size) must match. Whatever it leaves in the caches
 * must not change what later translations do, A/D writes included.
 */
export function checkWalk(world: World, space: SpaceRef, iova: bigint, access: number, context: string, walkCaches = false): void {
  const { engine, paBits } = world;
  const where = `${context}: walk space ${space.id} ${hex(iova)} ${describeAccess(access)}`;
  const overlay = new OverlayMemory(engine.phys);
  const expected = oracleTranslate(overlay, paBits, withoutAd(space.desc), iova, access);
  expect(overlay.writes, `${where}: the oracle wrote with A/D off`).toBe(0);
  const adWritesBefore = engine.counters().adWrites;
  expect(engine.walk(space.id, iova, access, { walkCaches }), where).toEqual(expected);
  expect(engine.counters().adWrites, `${where}: walk() must not write A/D`).toBe(adWritesBefore);
}

/**
 * Requests through the batch ring, against the oracle run in request order. Misses
 * of one space are walked together with interleaved reads, and two on one page both
 * walk, so A/D writes may repeat: only the resulting words are compared (flat
 * spaces: every word the oracle set must be set; nested: see checkTranslate), not
 * the count. Faults must reach the ring in request order.
 */
export function checkBatch(world: World, requests: Array<{ space: SpaceRef; iova: bigint; access: number }>, context: string): Translation[] {
  const { engine, paBits } = world;
  const overlay = new OverlayMemory(engine.phys);
  const expected = requests.map((r) => oracleTranslate(overlay, paBits, r.space.desc, r.iova, r.access));
  const batch = engine.batch;
  requests.forEach((r, i) => {
    batch.space[i] = r.space.id;
    batch.access[i] = r.access;
    batch.iova[2 * i] = Number(r.iova & 0xffff_ffffn);
    batch.iova[2 * i + 1] = Number(r.iova >> 32n);
  });
  const failures = batch.run(requests.length);
  const describe_ = (i: number) => `${context}: batch request ${i} space ${requests[i].space.id} ${hex(requests[i].iova)} ${describeAccess(requests[i].access)}`;
  requests.forEach((_r, i) => {
    const e = expected[i];
    const status = e.fault === 0 ? 0 : e.fault | (e.stage << 8) | (e.level << 16);
    expect({ status: batch.status[i], out: e.fault === 0 ? BigInt(batch.outAt(i)) : 0n }, describe_(i)).toEqual({ status, out: e.fault === 0 ? e.addr : 0n });
  });
  expect(failures, `${context}: batch failures`).toBe(expected.filter((e) => e.fault !== 0).length);
  if (requests.every((r) => r.space.desc.parent === undefined)) {
    for (const [addr, value] of overlay.written) {
      expect(engine.phys.read64(addr), `${context}: batch A/D word at ${hex(addr)}`).toBe(value);
    }
  }
  const faults = engine.drainFaults().map(({ sequence: _s, ...f }) => f);
  const expectedFaults = requests.flatMap((r, i) => (expected[i].fault === 0 ? [] : [{
    iova: r.iova, addr: expected[i].addr, space: r.space.id, reason: expected[i].fault, stage: expected[i].stage, level: expected[i].level, access: r.access,
  }]));
  expect(faults, `${context}: batch fault records`).toEqual(expectedFaults);
  return expected;
}
