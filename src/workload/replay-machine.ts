// The machine a trace is replayed on: the topology stored in its header (a recorded
// workload), or one x86-64 space per space id for a trace without one (an ftrace
// import, a hand-written NDJSON trace), with the what-if changes a replay asks for
// applied on top: another IOTLB or walk-cache geometry, another request size, or the
// trace's spaces moved into a guest (each becomes a stage 1 over one vtd-ss stage 2
// that maps guest RAM on demand: guest-ram-sink.ts).
import type { CacheGeometry } from '../engine/index.js';
import type { PageSize } from './params.js';
import { DEFAULT_GEOMETRY, fallbackTopology, parseTopology, type Topology } from './topology.js';

export interface WhatIf {
  iotlb?: CacheGeometry;
  walkCache?: CacheGeometry | false;
  nestedTableCache?: CacheGeometry | false;
  walkers?: number;
  requestBytes?: number;
  /** Page size of the trace's own mappings: 4K splits every map into pages, 2M backs whole 2 MiB blocks (page-size-sink.ts). */
  pageSize?: PageSize;
  /** Move the trace's flat spaces into a guest. */
  nested?: boolean;
  /** Page size of the guest RAM mapping in stage 2 (with `nested`). Default 4K. */
  stage2PageSize?: PageSize;
}

/** A guest the replay put the trace into. */
export interface ReplayGuest {
  /** Topology index of the stage-2 space. */
  stage2: number;
  /** Host address of GPA 0: GPAs map at a fixed offset. */
  hostOffset: number;
  /** GPAs a trace may map: [0, limit). */
  limit: number;
  /** Guest-physical range of the stage-1 tables (mapped before any stage-1 space exists). */
  tables: { base: number; limit: number };
  stage2PageSize: PageSize;
}

export interface ReplayMachine {
  topology: Topology;
  /** Whether the topology came from the trace. */
  stored: boolean;
  guest?: ReplayGuest;
  /** Host physical address bits the engine needs for the trace's addresses. */
  paBits: number;
}

/** Spaces a trace without a topology may name (ids 0..FALLBACK_SPACES-1). */
export const FALLBACK_SPACES = 16;

/** A trace without a topology carries real machines' addresses: allow the engine's widest host. */
const WIDE_PA_BITS = 46;
/** Guest RAM sits at host 2^45 (+ one page, so the page size in stage 2 is the one asked for). */
const GUEST_HOST_BASE = 2 ** 45;
const GIB = 2 ** 30;
/** Stage-1 tables of the guest: 256 MiB of guest RAM just below the top of what a trace may map. */
const GUEST_TABLE_BYTES = 256 * 2 ** 20;

export function replayMachine(metadataTopology: unknown, whatIf: WhatIf): ReplayMachine {
  const stored = metadataTopology !== undefined;
  const base: Topology = stored ? parseTopology(metadataTopology) : fallbackTopology(FALLBACK_SPACES);
  const engine = { ...DEFAULT_GEOMETRY, ...base.engine };
  if (whatIf.iotlb !== undefined) engine.iotlb = whatIf.iotlb;
  if (whatIf.walkCache !== undefined) engine.walkCache = whatIf.walkCache;
  if (whatIf.nestedTableCache !== undefined) engine.nestedTableCache = whatIf.nestedTableCache;
  if (whatIf.walkers !== undefined) engine.walkers = whatIf.walkers;
  const topology: Topology = { ...base, engine, requestBytes: whatIf.requestBytes ?? base.requestBytes, spaces: base.spaces.map((s) => ({ ...s })) };
  if (whatIf.stage2PageSize !== undefined && !whatIf.nested) {
    throw new RangeError('a stage-2 page size applies only with nesting: give --nested as well');
  }
  if (!whatIf.nested) return { topology, stored, paBits: stored ? 40 : WIDE_PA_BITS };
  if (topology.spaces.some((s) => s.parent !== undefined)) {
    throw new RangeError('the trace is already nested (its topology has stage-2 spaces): --nested applies to flat traces');
  }
  const stage2 = topology.spaces.length;
  const stage2PageSize = whatIf.stage2PageSize ?? '4K';
  const limit = 2 ** 44;
  const tables = { base: limit - GIB, limit: limit - GIB + GUEST_TABLE_BYTES };
  const groups = topology.spaces.map((s) => s.group);
  topology.spaces = topology.spaces.map((s) => ({ ...s, parent: stage2, tables }));
  topology.spaces.push({ format: 'vtd-ss', levels: 4, group: Math.max(0, ...groups) + 1 });
  const hostOffset = GUEST_HOST_BASE + (stage2PageSize === '4K' ? 4096 : 2 ** 21);
  return { topology, stored, paBits: WIDE_PA_BITS, guest: { stage2, hostOffset, limit, tables, stage2PageSize } };
}
