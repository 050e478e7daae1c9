// From a request's source-id (and PASID) to the engine space that translates it:
// root entry -> context entry (context-cache) -> PASID directory and table entry
// (PASID-cache) -> (DID, PASID, PGTT, tables) -> space. Faults on the way carry the
// FPD seen so far, so that qualified ones can be suppressed.
import { ContextCache, PasidCache } from './context-cache.js';
import { Reason } from './fault-reasons.js';
import { Pgtt, readPasidDirectoryEntry, readPasidEntry, type PasidEntry } from './pasid.js';
import { readLegacyContext, readRootEntry, readScalableContext, type DeviceContext, type TableLimits } from './root-context.js';
import { SpacesReclaimed, type VtdSpaces } from './spaces.js';
import type { StageKind } from './engine-faults.js';
import { fail, ok, type Decoded, type ReadWord } from './structures.js';

export interface Route {
  mode: 'legacy' | 'scalable';
  kind: 'pass-through' | StageKind;
  did: number;
  /** The PASID the request was translated under (RID_PASID for a request without one); undefined in legacy mode. */
  pasid: number | undefined;
  /** Engine space, -1 for pass-through. */
  space: number;
  /** Second-stage space of a nested route, else -1. */
  parent: number;
  fpd: boolean;
  sre: boolean;
  wpe: boolean;
  eafe: boolean;
  fsRoot: bigint;
  fsLevels: number;
  pageRequests: boolean;
}

export type Resolution = { ok: true; route: Route } | { ok: false; reason: number; fpd: boolean };

type CachedContext = DeviceContext & { space: number };
interface CachedPasid { entry: PasidEntry; dirFpd: boolean; space: number; parent: number }

/** Not-present results a caching-mode unit may keep (CAP.CM: software invalidates after making entries present). */
const NEGATIVE_CACHEABLE = new Set<number>([Reason.CONTEXT_NOT_PRESENT, Reason.PASID_DIR_NOT_PRESENT, Reason.PASID_ENTRY_NOT_PRESENT]);

export class Resolver {
  readonly contexts = new ContextCache<CachedContext>();
  readonly pasids = new PasidCache<CachedPasid>();

  constructor(
    private readonly read: ReadWord,
    private readonly spaces: VtdSpaces,
    private readonly limits: TableLimits,
    private readonly cachingMode: boolean,
  ) {}

  resolve(rta: bigint, scalable: boolean, sid: number, pasid: number | undefined): Resolution {
    try {
      return this.resolveOnce(rta, scalable, sid, pasid);
    } catch (error) {
      if (!(error instanceof SpacesReclaimed)) throw error;
      return this.resolveOnce(rta, scalable, sid, pasid);
    }
  }

  private resolveOnce(rta: bigint, scalable: boolean, sid: number, pasid: number | undefined): Resolution {
    const context = this.context(rta, scalable, sid);
    if (!context.ok) return { ok: false, reason: context.reason, fpd: false };
    const ctx = context.value;
    if (ctx.mode === 'legacy') {
      // Legacy mode has no PASID: a request-with-PASID is blocked by the context.
      if (pasid !== undefined) return { ok: false, reason: Reason.BLOCKED_BY_CONTEXT, fpd: ctx.fpd };
      return {
        ok: true,
        route: {
          mode: 'legacy', kind: ctx.passThrough ? 'pass-through' : 'second-stage', did: ctx.did, pasid: undefined,
          space: ctx.space, parent: -1, fpd: ctx.fpd, sre: false, wpe: false, eafe: false, fsRoot: 0n, fsLevels: 0,
          pageRequests: false,
        },
      };
    }
    if (pasid !== undefined && !ctx.pasidEnable) return { ok: false, reason: Reason.BLOCKED_BY_CONTEXT, fpd: ctx.fpd };
    const effective = pasid ?? ctx.ridPasid;
    const resolved = this.pasid(ctx, sid, effective);
    if (!resolved.ok) return { ok: false, reason: resolved.reason, fpd: ctx.fpd || resolved.fpd };
    const { entry, dirFpd, space, parent } = resolved.value;
    const kind = entry.pgtt === Pgtt.FIRST_STAGE ? 'first-stage' : entry.pgtt === Pgtt.SECOND_STAGE ? 'second-stage'
      : entry.pgtt === Pgtt.NESTED ? 'nested' : 'pass-through';
    return {
      ok: true,
      route: {
        mode: 'scalable', kind, did: entry.did, pasid: effective, space, parent, fpd: ctx.fpd || dirFpd || entry.fpd,
        sre: entry.sre, wpe: entry.wpe, eafe: entry.eafe, fsRoot: entry.fsptptr, fsLevels: entry.fsLevels,
        pageRequests: ctx.pageRequestEnable,
      },
    };
  }

  private context(rta: bigint, scalable: boolean, sid: number): Decoded<CachedContext> {
    const cached = this.contexts.lookup(sid);
    // An entry cached under the other translation mode cannot describe this one.
    if (cached && (!cached.ok || (cached.value.mode === 'scalable') === scalable)) return cached;
    const bus = sid >>> 8;
    const devfn = sid & 0xff;
    const table = readRootEntry(this.read, rta, bus, devfn, scalable, this.limits);
    if (!table.ok) return fail(table.reason);
    const decoded = scalable ? readScalableContext(this.read, table.value, devfn, this.limits) : readLegacyContext(this.read, table.value, devfn, this.limits);
    if (!decoded.ok) {
      if (this.cachingMode && NEGATIVE_CACHEABLE.has(decoded.reason)) this.contexts.fill(sid, undefined, decoded);
      return fail(decoded.reason);
    }
    const ctx = decoded.value;
    const space = ctx.mode === 'legacy' && !ctx.passThrough
      ? this.spaces.secondStage(ctx.did, undefined, ctx.ssptptr, ctx.aw + 2, false) : -1;
    const value: CachedContext = { ...ctx, space };
    this.contexts.fill(sid, ctx.mode === 'legacy' ? ctx.did : undefined, ok(value));
    return ok(value);
  }

  private pasid(ctx: DeviceContext & { mode: 'scalable' }, sid: number, pasid: number):
    { ok: true; value: CachedPasid } | { ok: false; reason: number; fpd: boolean } {
    const cached = this.pasids.lookup(sid, pasid);
    if (cached) return cached.ok ? cached : { ok: false, reason: cached.reason, fpd: false };
    const dir = readPasidDirectoryEntry(this.read, ctx.pasidDir, ctx.pdts, pasid, this.limits);
    if (!dir.ok) return this.negative(sid, pasid, dir.reason, false);
    const decoded = readPasidEntry(this.read, dir.value.table, pasid, this.limits);
    if (!decoded.ok) return this.negative(sid, pasid, decoded.reason, dir.value.fpd);
    const entry = decoded.value;
    let space = -1;
    let parent = -1;
    if (entry.pgtt === Pgtt.FIRST_STAGE) space = this.spaces.firstStage(entry.did, pasid, entry.fsptptr, entry.fsLevels);
    else if (entry.pgtt === Pgtt.SECOND_STAGE) space = this.spaces.secondStage(entry.did, pasid, entry.ssptptr, entry.aw + 2, entry.ssade);
    else if (entry.pgtt === Pgtt.NESTED) {
      space = this.spaces.nested(entry.did, pasid, entry.fsptptr, entry.fsLevels, entry.ssptptr, entry.aw + 2, entry.ssade);
      parent = this.spaces.parentOf(space);
    }
    const value: CachedPasid = { entry, dirFpd: dir.value.fpd, space, parent };
    this.pasids.fill(sid, pasid, entry.did, ok(value));
    return { ok: true, value };
  }

  private negative(sid: number, pasid: number, reason: number, fpd: boolean): { ok: false; reason: number; fpd: boolean } {
    if (this.cachingMode && NEGATIVE_CACHEABLE.has(reason)) this.pasids.fill(sid, pasid, undefined, fail(reason));
    return { ok: false, reason, fpd };
  }

  /** After the registry destroyed its spaces, nothing cached may name them. */
  forgetSpaces(): void {
    this.contexts.clear();
    this.pasids.clear();
  }
}
