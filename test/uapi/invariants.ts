// Whole-state consistency checks run after tests and after every step of the property
// test: the object table, every IOAS (areas, reserved, allowed, alignment), the mirror
// in every attached test domain, and pin accounting down to the frame pool.
import { expect } from 'vitest';
import { areaLength, type Area } from '../../src/uapi/ioas/area.js';
import { rangesIntersect } from '../../src/uapi/ioas/iova-range.js';
import type { PinnedPages } from '../../src/uapi/ioas/pinned-pages.js';
import type { AccessPin } from '../../src/uapi/ioas/access.js';
import { AccessObject } from '../../src/selftest/access.js';
import {
  DeviceObject,
  HwptNested,
  HwptPaging,
  IoasObject,
  MAX_OBJECT_ID,
  ObjectType,
  VdeviceObject,
  ViommuObject,
  type IommufdContext,
  type IommufdObject,
  type System,
} from '../../src/index.js';
import { RecordingDomain } from '../../src/uapi/testing/recording-domain.js';
import { MockPagingDomain } from '../../src/drivers/mock/index.js';

const PAGE = 4096n;

export function checkSystem(sys: System): void {
  const allPages = new Set<PinnedPages>();
  const allAreas: Area[] = [];
  const allAccessPins: AccessPin[] = [];
  for (const ctx of sys.liveContexts()) {
    checkContext(ctx, allPages);
    for (const o of ctx.objects.values()) {
      if (o.type !== ObjectType.IOAS) continue;
      allAreas.push(...(o as IoasObject).iopt.areas);
      allAccessPins.push(...(o as IoasObject).iopt.accessPins);
    }
  }
  checkPinUsers(allAreas, allAccessPins, allPages);
  let pins = 0;
  for (const p of allPages) pins += p.pinnedPageCount;
  // IOAS areas and access pins share PinnedPages, which pin a frame once per page.
  expect(sys.pool.totalPins).toBe(pins);
}

export function checkContext(ctx: IommufdContext, allPages = new Set<PinnedPages>()): void {
  const objects = [...ctx.objects.values()];
  const ids = new Set<number>();
  const heldBy = new Map<object, number>();
  for (const o of objects) {
    expect(o.id).toBeGreaterThanOrEqual(1);
    expect(o.id).toBeLessThanOrEqual(MAX_OBJECT_ID);
    expect(ids.has(o.id)).toBe(false);
    ids.add(o.id);
    expect(ctx.objects.getAny(o.id)).toBe(o);
    for (const t of o.holds) heldBy.set(t, (heldBy.get(t) ?? 0) + 1);
  }
  for (const o of objects) expect(o.users - 1).toBe((heldBy.get(o) ?? 0) + o.fdUsers);
  if (ctx.vfioIoas) expect(ctx.objects.getAny(ctx.vfioIoas.id)).toBe(ctx.vfioIoas);
  for (const o of objects) if (o.type === ObjectType.IOAS) checkIoas(o as IoasObject, allPages);
  checkDeviceSide(ctx, objects);
}

/** HWPTs, devices, vIOMMU objects and their links agree with each other and with the table. */
function checkDeviceSide(ctx: IommufdContext, objects: IommufdObject[]): void {
  const live = new Set(objects);
  const domainOwners = new Map<unknown, number>();
  for (const o of objects) {
    if (o instanceof HwptPaging) {
      expect(live.has(o.ioas)).toBe(true);
      expect(o.holds).toContain(o.ioas);
      expect(o.ioas.iopt.domains).toContain(o.domain);
      domainOwners.set(o.domain, (domainOwners.get(o.domain) ?? 0) + 1);
      // An automatic domain lives exactly as long as some device uses it.
      if (o.auto) expect(o.users).toBeGreaterThan(1);
    }
    if (o instanceof HwptNested) {
      expect(live.has(o.parent)).toBe(true);
      expect(o.holds).toContain(o.viommu ?? o.parent);
    }
    if (o instanceof DeviceObject) {
      for (const hwpt of o.attachments.values()) {
        expect(live.has(hwpt)).toBe(true);
        expect(o.holds).toContain(hwpt);
      }
      expect(o.holds.length).toBe(o.attachments.size);
      if (o.vdevice) expect(o.vdevice.device).toBe(o);
    }
    if (o instanceof VdeviceObject) {
      expect(o.viommu.vdevices.get(o.virtId)).toBe(o);
      expect(o.device.vdevice).toBe(o);
    }
    if (o instanceof ViommuObject) {
      for (const v of o.vdevices.values()) expect(live.has(v)).toBe(true);
      for (const q of o.veventqs.values()) expect(live.has(q)).toBe(true);
      for (const q of o.hwQueues.values()) expect(live.has(q)).toBe(true);
    }
  }
  for (const o of objects) {
    if (!(o instanceof IoasObject)) continue;
    for (const d of o.iopt.domains) if (d instanceof MockPagingDomain) expect(domainOwners.get(d)).toBe(1);
  }
  void ctx;
}

export function checkIoas(ioas: IoasObject, allPages: Set<PinnedPages>): void {
  const t = ioas.iopt;
  const alignment = t.iovaAlignment;
  const hasDomain = t.domains.length > 0;

  t.areas.forEach((a, i) => {
    expect(a.start <= a.last).toBe(true);
    if (i > 0) expect(t.areas[i - 1].last < a.start).toBe(true);
    expect(t.reserved.some((r) => rangesIntersect(r, a))).toBe(false);
    expect(a.start % alignment).toBe(0n);
    expect(areaLength(a) % alignment).toBe(0n);
    expect((a.pages.addressOf(a.pagesOffset) % PAGE) % alignment).toBe(0n);
    expect(a.pagesOffset + areaLength(a) <= a.pages.length).toBe(true);
    expect(a.pinned).toBe(hasDomain);
    allPages.add(a.pages);
  });

  t.allowed.forEach((r, i) => {
    expect(r.start < r.last).toBe(true);
    if (i > 0) expect(t.allowed[i - 1].last < r.start).toBe(true);
    expect(t.reserved.some((res) => rangesIntersect(res, r))).toBe(false);
  });

  for (const r of t.reserved) expect(r.start <= r.last).toBe(true);

  for (const d of t.domains) {
    if (d instanceof RecordingDomain) checkMirror(d, t.areas);
    if (d instanceof MockPagingDomain) checkMockMirror(d, t.areas);
  }
  for (const l of t.locks) expect(t.areas.some((a) => rangesIntersect(a, l.range))).toBe(true);
  for (const a of t.accesses) {
    expect(a).toBeInstanceOf(AccessObject);
    expect((a as AccessObject).ioas).toBe(ioas);
    expect((a as AccessObject).holds).toContain(ioas);
  }
  for (const p of t.accessPins) {
    expect(t.accesses).toContain(p.owner);
    // A pin lies wholly inside mapped areas: an unmap under it would have dropped it.
    expect(t.slicesOf(p.range.start, p.range.last - p.range.start + 1n).ok).toBe(true);
    for (const s of p.slices) allPages.add(s.pages);
  }
}

/** The engine's page table maps exactly the areas, each 2 KiB unit to its pinned byte; revoked memory not at all. */
function checkMockMirror(domain: MockPagingDomain, areas: readonly Area[]): void {
  let expected = 0n;
  for (const a of areas) {
    if (a.pages.revoked) {
      for (let off = 0n; off < areaLength(a); off += 2048n) expect(domain.physOf(a.start + off)).toBeUndefined();
      continue;
    }
    for (let off = 0n; off < areaLength(a); off += 2048n) {
      expect(domain.physOf(a.start + off), `iova ${(a.start + off).toString(16)}`).toBe(a.pages.physOf(a.pagesOffset + off));
    }
    expected += areaLength(a);
  }
  expect(domain.mappedBytes).toBe(expected);
}

/** The domain maps exactly the areas, to the frames they pinned, with their rights; revoked memory not at all. */
function checkMirror(domain: RecordingDomain, areas: readonly Area[]): void {
  const maps = domain.mappings();
  let expected = 0n;
  for (const a of areas) {
    if (a.pages.revoked) continue;
    for (let off = 0n; off < areaLength(a); off += domain.pageSize) {
      const entry = maps.get(a.start + off);
      expect(entry, `iova ${(a.start + off).toString(16)} not mirrored`).toBeDefined();
      expect(entry!.pa).toBe(a.pages.physOf(a.pagesOffset + off));
      expect(entry!.prot).toBe(a.prot);
    }
    expected += areaLength(a);
  }
  expect(domain.mappedBytes).toBe(expected);
}

/** Each pinned page counts exactly the pinned areas and access pins covering it; no stray pins. */
function checkPinUsers(areas: readonly Area[], accessPins: readonly AccessPin[], allPages: Set<PinnedPages>): void {
  const coverage = new Map<PinnedPages, Map<bigint, number>>();
  const cover = (pages: PinnedPages, offset: bigint, length: bigint) => {
    let m = coverage.get(pages);
    if (!m) coverage.set(pages, (m = new Map()));
    const first = pages.addressOf(offset) / PAGE;
    const last = pages.addressOf(offset + length - 1n) / PAGE;
    for (let p = first; p <= last; p++) m.set(p, (m.get(p) ?? 0) + 1);
  };
  for (const a of areas) if (a.pinned) cover(a.pages, a.pagesOffset, areaLength(a));
  for (const pin of accessPins) for (const s of pin.slices) cover(s.pages, s.offset, s.length);
  for (const pages of allPages) {
    const m = coverage.get(pages) ?? new Map<bigint, number>();
    for (const [page, entry] of pages.pinnedEntries()) expect(entry.users).toBe(m.get(page) ?? 0);
    for (const [page, n] of m) expect(pages.usersOf(page)).toBe(n);
  }
}
