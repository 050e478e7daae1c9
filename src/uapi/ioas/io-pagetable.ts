// The IOVA bookkeeping of one IOAS: areas (what is mapped), reserved ranges (what may
// never be mapped), allowed ranges (where automatic IOVAs may go) and the attached
// paging domains that mirror the areas. Every operation either completes or leaves
// all of it unchanged, except UNMAP, whose partial progress the kernel also keeps.
//
// Pages are pinned only while a domain is attached: without one nothing can DMA, and
// the kernel likewise defers pinning (a bad VA surfaces when a domain arrives). Areas
// over revoked dma-buf memory stay in the IOAS but are in no domain.
import { Perm } from '../../engine/types.js';
import { EADDRINUSE, EBUSY, EEXIST, EINVAL, ENOENT, ENOMEM, EOVERFLOW, EPERM } from '../../iommu/errno.js';
import { PAGE_SIZE, U64_MAX } from '../limits.js';
import { fail, ok, OK_VOID, type Result } from '../../iommu/result.js';
import { areaLength, type Area, type PagesSlice } from './area.js';
import type { AccessPin, IoasAccess, PhysicalMemory } from './access.js';
import type { IoPagingDomain } from '../../iommu/paging-domain.js';
import { allocateIova } from './iova-allocator.js';
import { byStart, FULL_IOVA_RANGE, holes, rangesIntersect, type IovaRange } from './iova-range.js';

export interface ReservedRange extends IovaRange {
  /** Who reserved it: a domain (aperture), a device, or the self-test. Removed by owner. */
  readonly owner: unknown;
}

/** Owner tag of ranges reserved through IOMMU_TEST_OP_ADD_RESERVED. */
export const TEST_RESERVATION = Symbol('test reservation');

export class IoPageTable {
  private readonly areaList: Area[] = [];
  private readonly reservedList: ReservedRange[] = [];
  private allowedList: IovaRange[] = [];
  private readonly domainList: IoPagingDomain[] = [];
  /** Ranges pinned by in-kernel users (HW queues): their areas cannot be unmapped. */
  private readonly lockList: { range: IovaRange; owner: unknown }[] = [];
  /** In-kernel accesses attached to this IOAS and the pins they hold. */
  private readonly accessList: IoasAccess[] = [];
  private readonly accessPinList: AccessPin[] = [];
  private hugePagesEnabled = true;

  get areas(): readonly Area[] {
    return this.areaList;
  }
  get reserved(): readonly ReservedRange[] {
    return this.reservedList;
  }
  get allowed(): readonly IovaRange[] {
    return this.allowedList;
  }
  get domains(): readonly IoPagingDomain[] {
    return this.domainList;
  }
  get hugePages(): boolean {
    return this.hugePagesEnabled;
  }
  get accesses(): readonly IoasAccess[] {
    return this.accessList;
  }
  get accessPins(): readonly AccessPin[] {
    return this.accessPinList;
  }

  /** Minimum alignment of IOVA, length and in-page memory offset for new maps. */
  get iovaAlignment(): bigint {
    return this.alignmentWith(this.domainList, this.hugePagesEnabled);
  }

  /** The gaps of the reserved ranges: what IOMMU_IOAS_IOVA_RANGES reports. */
  iovaRanges(): IovaRange[] {
    return holes(this.reservedList, FULL_IOVA_RANGE);
  }

  /**
   * Places `slices` back to back at `fixedIova`, or at an allocated IOVA when it is
   * undefined; `hintAddress` is the memory address the automatic alignment follows.
   * `needWrite` demands writable memory (COPY with WRITEABLE).
   */
  map(slices: readonly PagesSlice[], prot: number, fixedIova: bigint | undefined, needWrite: boolean): Result<bigint> {
    const length = slices.reduce((sum, s) => sum + s.length, 0n);
    const alignment = this.iovaAlignment;
    if (length % alignment !== 0n) return fail(EINVAL);

    let iova: bigint;
    if (fixedIova === undefined) {
      const first = slices[0];
      const r = allocateIova(
        { allowed: this.allowedList, used: [...this.reservedList, ...this.areaList], iovaAlignment: alignment },
        length,
        first.pages.addressOf(first.offset),
      );
      if (!r.ok) return r;
      iova = r.value;
    } else {
      const r = this.checkFixedIova(fixedIova, length, alignment);
      if (!r.ok) return r;
      iova = fixedIova;
    }

    let at = iova;
    for (const s of slices) {
      if ((s.pages.addressOf(s.offset) % PAGE_SIZE) % alignment !== 0n) return fail(EINVAL);
      if (at % alignment !== 0n) return fail(EINVAL);
      at += s.length;
    }
    if (needWrite && slices.some((s) => !s.pages.writable)) return fail(EPERM);

    const created: Area[] = [];
    at = iova;
    for (const s of slices) {
      created.push({ start: at, last: at + s.length - 1n, pages: s.pages, pagesOffset: s.offset, prot, pinned: false });
      at += s.length;
    }
    if (this.domainList.length > 0) {
      for (let i = 0; i < created.length; i++) {
        const r = this.pinAndMirror(created[i], this.domainList);
        if (!r.ok) {
          for (const done of created.slice(0, i)) this.unmirrorAndUnpin(done, this.domainList);
          return r;
        }
      }
    }
    for (const a of created) this.insertArea(a);
    return ok(iova);
  }

  /**
   * Removes every area inside [start, start+length). An area only partly inside stops
   * the walk with ENOENT (areas are never split); areas already removed stay removed.
   * Nothing inside at all is ENOENT too. Returns the bytes unmapped.
   */
  unmap(start: bigint, length: bigint): Result<bigint> {
    const last = start + length - 1n;
    let unmapped = 0n;
    for (;;) {
      const area = this.areaList.find((a) => rangesIntersect(a, { start, last }));
      if (!area) break;
      if (area.start < start || area.last > last) return fail(ENOENT);
      if (this.isLocked(area) || !this.releaseAccessPins(area)) return fail(EBUSY);
      this.removeArea(area);
      unmapped += areaLength(area);
    }
    return unmapped === 0n ? fail(ENOENT) : ok(unmapped);
  }

  /**
   * Removes everything (0 bytes on an empty IOAS is a success); a locked area stops
   * the walk with EBUSY, keeping what was already removed.
   */
  unmapAll(): Result<bigint> {
    let unmapped = 0n;
    for (const area of [...this.areaList]) {
      if (this.isLocked(area) || !this.releaseAccessPins(area)) return fail(EBUSY);
      this.removeArea(area);
      unmapped += areaLength(area);
    }
    return ok(unmapped);
  }

  /**
   * The VFIO type1 v1 UNMAP: cuts the areas at both ends of [start, start+length) so a
   * part of a mapping can go, then unmaps. Both cuts are checked before either is
   * made, so a refused cut (EINVAL) leaves the areas as they were; if the unmap itself
   * fails, every cut whose two halves are still there is joined again (what the unmap
   * already removed stays removed, as for `unmap`).
   */
  unmapCutting(start: bigint, length: bigint): Result<bigint> {
    const cuts = [start, start + length];
    for (const cut of cuts) {
      const r = this.checkSplit(cut);
      if (!r.ok) return r;
    }
    const made: bigint[] = [];
    for (const cut of cuts) {
      const r = this.splitAt(cut);
      if (!r.ok) {
        for (const done of made) this.joinAt(done);
        return r;
      }
      made.push(cut);
    }
    const r = this.unmap(start, length);
    if (!r.ok) for (const done of made) this.joinAt(done);
    return r;
  }

  /** Whether `splitAt(iova)` would be refused (EINVAL), without changing anything. */
  private checkSplit(iova: bigint): Result<void> {
    const area = this.areaList.find((a) => a.start < iova && iova <= a.last);
    if (!area) return OK_VOID;
    if (iova % this.iovaAlignment !== 0n || this.isLocked(area)) return fail(EINVAL);
    return OK_VOID;
  }

  /**
   * Undoes `splitAt(iova)`: the areas ending at iova - 1 and starting at iova become one
   * again if they are the two halves of one mapping (same memory, contiguous, same
   * permissions and pin state). Otherwise nothing changes.
   */
  private joinAt(iova: bigint): void {
    const head = this.areaList.find((a) => a.last === iova - 1n);
    const tail = this.areaList.find((a) => a.start === iova);
    if (!head || !tail || head.pages !== tail.pages || head.prot !== tail.prot || head.pinned !== tail.pinned) return;
    if (tail.pagesOffset !== head.pagesOffset + areaLength(head)) return;
    const whole: Area = { ...head, last: tail.last, pinned: false };
    if (head.pinned) {
      // Every page is pinned by the halves already: this only counts users up.
      const r = whole.pages.pin(whole.pagesOffset, areaLength(whole));
      if (!r.ok) return;
      whole.pinned = true;
      head.pages.unpin(head.pagesOffset, areaLength(head));
      tail.pages.unpin(tail.pagesOffset, areaLength(tail));
    }
    this.areaList.splice(this.areaList.indexOf(head), 2, whole);
    this.holdPages(whole);
    head.pages.drop(head);
    tail.pages.drop(tail);
  }

  /**
   * Cuts the area containing `iova` (strictly inside it) in two, for the VFIO type1 v1
   * compat UNMAP that may unmap part of a mapping. Both halves keep the same memory and
   * domain mappings; pins move with them. The cut must respect the IOVA alignment.
   */
  splitAt(iova: bigint): Result<void> {
    const area = this.areaList.find((a) => a.start < iova && iova <= a.last);
    if (!area) return OK_VOID;
    if (iova % this.iovaAlignment !== 0n || this.isLocked(area)) return fail(EINVAL);
    const head: Area = { ...area, last: iova - 1n, pinned: false };
    const tail: Area = { ...area, start: iova, pagesOffset: area.pagesOffset + (iova - area.start), pinned: false };
    if (area.pinned) {
      const h = head.pages.pin(head.pagesOffset, areaLength(head));
      if (!h.ok) return h;
      const t = tail.pages.pin(tail.pagesOffset, areaLength(tail));
      if (!t.ok) {
        head.pages.unpin(head.pagesOffset, areaLength(head));
        return t;
      }
      head.pinned = tail.pinned = true;
      area.pages.unpin(area.pagesOffset, areaLength(area));
    }
    this.areaList.splice(this.areaList.indexOf(area), 1, head, tail);
    this.holdPages(head);
    this.holdPages(tail);
    area.pages.drop(area);
    return OK_VOID;
  }

  /**
   * Pins [start, last] for `owner` (a HW queue) as an in-kernel reader: the checks of
   * `accessSlices`, so dma-buf memory is EINVAL and a hole after it does not matter.
   */
  lockRange(range: IovaRange, owner: unknown): Result<PagesSlice[]> {
    const slices = this.accessSlices(range.start, range.last - range.start + 1n, false);
    if (!slices.ok) return slices;
    this.lockList.push({ range, owner });
    return slices;
  }

  unlockRange(owner: unknown): void {
    for (let i = this.lockList.length - 1; i >= 0; i--) if (this.lockList[i].owner === owner) this.lockList.splice(i, 1);
  }

  get locks(): readonly { range: IovaRange; owner: unknown }[] {
    return this.lockList;
  }

  /**
   * Attaches an in-kernel access: its alignment joins the IOAS's, so existing areas must
   * already satisfy it (EADDRINUSE otherwise, as for a domain).
   */
  addAccess(access: IoasAccess): Result<void> {
    if (this.accessList.includes(access)) return fail(EEXIST);
    if (!this.areasAligned(this.alignmentWith(this.domainList, this.hugePagesEnabled, [...this.accessList, access]))) {
      return fail(EADDRINUSE);
    }
    this.accessList.push(access);
    return OK_VOID;
  }

  /** Detaches an access; it must have dropped its pins (the caller notifies it first). */
  removeAccess(access: IoasAccess): void {
    for (const pin of this.accessPinList.filter((p) => p.owner === access)) this.unpinForAccess(pin);
    const i = this.accessList.indexOf(access);
    if (i >= 0) this.accessList.splice(i, 1);
  }

  /**
   * Pins [start, start+length) for `owner`: mapped end to end (ENOENT), writable where
   * `write` asks for it (EPERM). All or nothing.
   */
  pinForAccess(owner: IoasAccess, start: bigint, length: bigint, write: boolean): Result<AccessPin> {
    const checked = this.accessRange(start, length, write);
    if (!checked.ok) return checked;
    const slices = checked.value;
    const done: PagesSlice[] = [];
    for (const s of slices) {
      const r = s.pages.pin(s.offset, s.length);
      if (!r.ok) {
        for (const d of done) d.pages.unpin(d.offset, d.length);
        return r;
      }
      done.push(s);
    }
    const pin: AccessPin = { owner, range: { start, last: start + length - 1n }, slices };
    this.accessPinList.push(pin);
    return ok(pin);
  }

  unpinForAccess(pin: AccessPin): void {
    const i = this.accessPinList.indexOf(pin);
    if (i < 0) return;
    this.accessPinList.splice(i, 1);
    for (const s of pin.slices) s.pages.unpin(s.offset, s.length);
  }

  /**
   * Copies between `buffer` and the memory behind [start, start+buffer.length) without a
   * device: pages are pinned for the copy only (the kernel's slow path; its fast path
   * reads the same bytes through pins a domain or access already holds).
   */
  accessRw(start: bigint, buffer: Uint8Array, write: boolean, phys: PhysicalMemory): Result<void> {
    const checked = this.accessRange(start, BigInt(buffer.length), write);
    if (!checked.ok) return checked;
    let at = 0;
    for (const s of checked.value) {
      const pinned = s.pages.pin(s.offset, s.length);
      if (!pinned.ok) return fail(ENOMEM);
      for (let off = 0n; off < s.length; ) {
        const inPage = s.pages.addressOf(s.offset + off) % PAGE_SIZE;
        const n = Number(PAGE_SIZE - inPage < s.length - off ? PAGE_SIZE - inPage : s.length - off);
        const pa = s.pages.physOf(s.offset + off);
        if (write) phys.write(pa, buffer.subarray(at, at + n));
        else buffer.set(phys.read(pa, n), at);
        at += n;
        off += BigInt(n);
      }
      s.pages.unpin(s.offset, s.length);
    }
    return OK_VOID;
  }

  /** Length 0 → EINVAL, wrap → EOVERFLOW, then the area walk of `accessSlices`. */
  private accessRange(start: bigint, length: bigint, write: boolean): Result<PagesSlice[]> {
    if (length === 0n) return fail(EINVAL);
    if (start + length - 1n > U64_MAX) return fail(EOVERFLOW);
    return this.accessSlices(start, length, write);
  }

  /**
   * The memory an in-kernel user reads (or writes) at [start, start+length), area by
   * area from `start` while they are contiguous, as the kernel's access pin and copy
   * walk them: an area without the permission → EPERM, dma-buf memory (which has no
   * pages to hand out) → EINVAL. A hole is ENOENT only after the areas before it passed.
   */
  private accessSlices(start: bigint, length: bigint, write: boolean): Result<PagesSlice[]> {
    const need = write ? Perm.W : Perm.R;
    return this.slicesOf(start, length, (a) => ((a.prot & need) === 0 ? EPERM : a.pages.source === 'dmabuf' ? EINVAL : 0));
  }

  /**
   * Before `area` goes away every access is told to drop its pins there (the self-test
   * access drops each pin intersecting the range). False if a pin survives the notice.
   */
  private releaseAccessPins(area: IovaRange): boolean {
    const pinned = () => this.accessPinList.some((p) => rangesIntersect(p.range, area));
    if (!pinned()) return true;
    for (const access of [...this.accessList]) access.unmapNotify({ start: area.start, last: area.last });
    return !pinned();
  }

  private isLocked(area: IovaRange): boolean {
    return this.lockList.some((l) => rangesIntersect(l.range, area));
  }

  /**
   * The memory behind [start, start+length), which contiguous areas must cover entirely
   * (ENOENT). `check` sees each area in IOVA order; a non-zero errno from it ends the walk.
   */
  slicesOf(start: bigint, length: bigint, check?: (area: Area) => number): Result<PagesSlice[]> {
    const last = start + length - 1n;
    const slices: PagesSlice[] = [];
    let cursor = start;
    for (const area of this.areaList) {
      if (area.last < cursor) continue;
      if (area.start > cursor) break;
      const errno = check?.(area) ?? 0;
      if (errno !== 0) return fail(errno);
      const sliceLast = area.last < last ? area.last : last;
      slices.push({
        pages: area.pages,
        offset: area.pagesOffset + (cursor - area.start),
        length: sliceLast - cursor + 1n,
      });
      if (sliceLast === last) return ok(slices);
      cursor = sliceLast + 1n;
    }
    return fail(ENOENT);
  }

  /** Replaces the allowed list; ranges are validated here so a failure keeps the old one. */
  setAllowed(ranges: readonly IovaRange[]): Result<void> {
    const sorted = [...ranges].sort(byStart);
    for (let i = 0; i < sorted.length; i++) {
      if (sorted[i].start >= sorted[i].last) return fail(EINVAL);
      if (i > 0 && rangesIntersect(sorted[i - 1], sorted[i])) return fail(EINVAL);
    }
    if (sorted.some((r) => this.reservedList.some((res) => rangesIntersect(r, res)))) return fail(EADDRINUSE);
    this.allowedList = sorted;
    return OK_VOID;
  }

  /** Reserves [start, last] for `owner`; must not hit a mapped area or an allowed range. */
  addReserved(range: IovaRange, owner: unknown): Result<void> {
    if (this.areaList.some((a) => rangesIntersect(a, range))) return fail(EADDRINUSE);
    if (this.allowedList.some((a) => rangesIntersect(a, range))) return fail(EADDRINUSE);
    this.reservedList.push({ start: range.start, last: range.last, owner });
    return OK_VOID;
  }

  removeReserved(owner: unknown): void {
    for (let i = this.reservedList.length - 1; i >= 0; i--) {
      if (this.reservedList[i].owner === owner) this.reservedList.splice(i, 1);
    }
  }

  /**
   * IOMMU_OPTION_HUGE_PAGES. Disabling forces PAGE_SIZE granularity: refused while a
   * domain already holds areas (they may sit in large IO pages), and undone when an
   * existing area would break the new alignment.
   */
  setHugePages(enabled: boolean): Result<void> {
    if (enabled) {
      this.hugePagesEnabled = true;
      return OK_VOID;
    }
    if (!this.hugePagesEnabled) return OK_VOID;
    if (this.domainList.length > 0 && this.areaList.length > 0) return fail(EINVAL);
    const alignment = this.alignmentWith(this.domainList, false);
    if (!this.areasAligned(alignment)) return fail(EADDRINUSE);
    this.hugePagesEnabled = false;
    return OK_VOID;
  }

  /**
   * Attaches a paging domain: reserves what lies outside its aperture, raises the
   * alignment, pins (first domain) and mirrors every area into it. All or nothing.
   */
  attachDomain(domain: IoPagingDomain): Result<void> {
    if (this.domainList.includes(domain)) return fail(EEXIST);
    const pageSize = domain.pageSize;
    if (pageSize <= 0n || pageSize > PAGE_SIZE || (pageSize & (pageSize - 1n)) !== 0n) return fail(EINVAL);
    const outside = outsideOf(domain.aperture);
    for (const r of outside) {
      if (this.areaList.some((a) => rangesIntersect(a, r))) return fail(EADDRINUSE);
      if (this.allowedList.some((a) => rangesIntersect(a, r))) return fail(EADDRINUSE);
    }
    if (!this.areasAligned(this.alignmentWith([...this.domainList, domain], this.hugePagesEnabled))) {
      return fail(EADDRINUSE);
    }

    const firstDomain = this.domainList.length === 0;
    const mirrored: Area[] = [];
    for (const area of this.areaList) {
      const r = firstDomain ? this.pinAndMirror(area, [domain]) : this.mirror(area, domain);
      if (!r.ok) {
        for (const done of mirrored) {
          domain.unmap(done.start, areaLength(done));
          if (firstDomain) this.unpin(done);
        }
        return r;
      }
      mirrored.push(area);
    }
    for (const r of outside) this.reservedList.push({ ...r, owner: domain });
    this.domainList.push(domain);
    return OK_VOID;
  }

  /** Unmirrors every area, drops the aperture reservations, unpins after the last domain. */
  detachDomain(domain: IoPagingDomain): Result<void> {
    const index = this.domainList.indexOf(domain);
    if (index < 0) return fail(ENOENT);
    for (const area of this.areaList) domain.unmap(area.start, areaLength(area));
    this.domainList.splice(index, 1);
    this.removeReserved(domain);
    if (this.domainList.length === 0) for (const area of this.areaList) this.unpin(area);
    return OK_VOID;
  }

  /** Everything a destroyed IOAS must let go of. */
  release(): void {
    for (const d of [...this.domainList]) this.detachDomain(d);
    this.lockList.length = 0;
    for (const pin of [...this.accessPinList]) this.unpinForAccess(pin);
    this.accessList.length = 0;
    this.unmapAll();
  }

  private checkFixedIova(iova: bigint, length: bigint, alignment: bigint): Result<void> {
    if (iova % alignment !== 0n) return fail(EINVAL);
    if (iova + length - 1n > U64_MAX) return fail(EOVERFLOW);
    const range = { start: iova, last: iova + length - 1n };
    if (this.reservedList.some((r) => rangesIntersect(r, range))) return fail(EINVAL);
    if (this.areaList.some((a) => rangesIntersect(a, range))) return fail(EEXIST);
    return OK_VOID;
  }

  private alignmentWith(domains: readonly IoPagingDomain[], hugePages: boolean, accesses: readonly IoasAccess[] = this.accessList): bigint {
    let alignment = hugePages ? 1n : PAGE_SIZE;
    for (const d of domains) if (d.pageSize > alignment) alignment = d.pageSize;
    for (const a of accesses) if (a.iovaAlignment > alignment) alignment = a.iovaAlignment;
    return alignment;
  }

  private areasAligned(alignment: bigint): boolean {
    return this.areaList.every(
      (a) =>
        a.start % alignment === 0n &&
        areaLength(a) % alignment === 0n &&
        (a.pages.addressOf(a.pagesOffset) % PAGE_SIZE) % alignment === 0n,
    );
  }

  private insertArea(area: Area): void {
    let i = this.areaList.length;
    while (i > 0 && this.areaList[i - 1].start > area.start) i--;
    this.areaList.splice(i, 0, area);
    this.holdPages(area);
  }

  private removeArea(area: Area): void {
    this.areaList.splice(this.areaList.indexOf(area), 1);
    if (area.pinned) this.unmirrorAndUnpin(area, this.domainList);
    area.pages.drop(area);
  }

  /**
   * The area holds its pages. If the memory is revoked, every domain stops translating
   * the area at once; the area itself stays (its IOVA is still taken, UNMAP removes it)
   * and no domain maps it again, even after the exporter makes the memory valid again.
   */
  private holdPages(area: Area): void {
    area.pages.hold(area, () => {
      for (const d of this.domainList) d.unmap(area.start, areaLength(area));
    });
  }

  private pinAndMirror(area: Area, domains: readonly IoPagingDomain[]): Result<void> {
    const pinned = area.pages.pin(area.pagesOffset, areaLength(area));
    if (!pinned.ok) return pinned;
    area.pinned = true;
    const done: IoPagingDomain[] = [];
    for (const d of domains) {
      const r = this.mirror(area, d);
      if (!r.ok) {
        for (const m of done) m.unmap(area.start, areaLength(area));
        this.unpin(area);
        return r;
      }
      done.push(d);
    }
    return OK_VOID;
  }

  private unmirrorAndUnpin(area: Area, domains: readonly IoPagingDomain[]): void {
    for (const d of domains) d.unmap(area.start, areaLength(area));
    this.unpin(area);
  }

  private unpin(area: Area): void {
    if (!area.pinned) return;
    area.pages.unpin(area.pagesOffset, areaLength(area));
    area.pinned = false;
  }

  /** Maps a pinned area into one domain, merging physically contiguous pages into one call. */
  private mirror(area: Area, domain: IoPagingDomain): Result<void> {
    // Revoked memory is never mapped again (the domain fills around it).
    if (area.pages.revoked) return OK_VOID;
    const length = areaLength(area);
    let mapped = 0n;
    let runIova = area.start;
    let runPa = -1n;
    let runLength = 0n;
    const flush = (): Result<void> => {
      if (runLength === 0n) return OK_VOID;
      const rc = domain.map(runIova, runPa, runLength, area.prot);
      if (rc !== 0) {
        if (mapped > 0n) domain.unmap(area.start, mapped);
        return fail(-rc);
      }
      mapped += runLength;
      return OK_VOID;
    };
    for (let offset = 0n; offset < length; ) {
      const inPage = area.pages.addressOf(area.pagesOffset + offset) % PAGE_SIZE;
      const chunk = PAGE_SIZE - inPage < length - offset ? PAGE_SIZE - inPage : length - offset;
      const pa = area.pages.physOf(area.pagesOffset + offset);
      if (runLength > 0n && runPa + runLength === pa) {
        runLength += chunk;
      } else {
        const r = flush();
        if (!r.ok) return r;
        runIova = area.start + offset;
        runPa = pa;
        runLength = chunk;
      }
      offset += chunk;
    }
    return flush();
  }
}

/** The IOVA space outside an aperture, as at most two inclusive ranges. */
function outsideOf(aperture: IovaRange): IovaRange[] {
  const out: IovaRange[] = [];
  if (aperture.start > 0n) out.push({ start: 0n, last: aperture.start - 1n });
  if (aperture.last < U64_MAX) out.push({ start: aperture.last + 1n, last: U64_MAX });
  return out;
}
