// Whole-state consistency checks run after tests and after every step of the property
// test: the object table, every IOAS (areas, reserved, allowed, alignment), the mirror
// in every attached test domain, and pin accounting down to the frame pool.
import { expect } from 'vitest';
import { areaLength, type Area } from '../../src/uapi/ioas/area.js';
import { rangesIntersect } from '../../src/uapi/ioas/iova-range.js';
import type { PinnedPages } from '../../src/uapi/ioas/pinned-pages.js';
import { IoasObject, MAX_OBJECT_ID, ObjectType, type IommufdContext, type System } from '../../src/uapi/index.js';
import { RecordingDomain } from '../../src/uapi/testing/recording-domain.js';

const PAGE = 4096n;

export function checkSystem(sys: System): void {
  const allPages = new Set<PinnedPages>();
  const allAreas: Area[] = [];
  for (const ctx of sys.liveContexts()) {
    checkContext(ctx, allPages);
    for (const o of ctx.objects.values()) if (o.type === ObjectType.IOAS) allAreas.push(...(o as IoasObject).iopt.areas);
  }
  checkPinUsers(allAreas, allPages);
  let pins = 0;
  for (const p of allPages) pins += p.pinnedPageCount;
  // Only IOAS areas pin today, and each PinnedPages pins a frame once per page.
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

  for (const d of t.domains) if (d instanceof RecordingDomain) checkMirror(d, t.areas);
}

/** The domain maps exactly the areas, to the frames they pinned, with their rights. */
function checkMirror(domain: RecordingDomain, areas: readonly Area[]): void {
  const maps = domain.mappings();
  let expected = 0n;
  for (const a of areas) {
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

/** Each pinned page counts exactly the pinned areas (of any IOAS) covering it; no stray pins. */
function checkPinUsers(areas: readonly Area[], allPages: Set<PinnedPages>): void {
  const coverage = new Map<PinnedPages, Map<bigint, number>>();
  for (const a of areas) {
    if (!a.pinned) continue;
    let m = coverage.get(a.pages);
    if (!m) coverage.set(a.pages, (m = new Map()));
    const first = a.pages.addressOf(a.pagesOffset) / PAGE;
    const last = a.pages.addressOf(a.pagesOffset + areaLength(a) - 1n) / PAGE;
    for (let p = first; p <= last; p++) m.set(p, (m.get(p) ?? 0) + 1);
  }
  for (const pages of allPages) {
    const m = coverage.get(pages) ?? new Map<bigint, number>();
    for (const [page, entry] of pages.pinnedEntries()) expect(entry.users).toBe(m.get(page) ?? 0);
    for (const [page, n] of m) expect(pages.usersOf(page)).toBe(n);
  }
}
