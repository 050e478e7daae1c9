// The hardware a trace runs on: engine geometry, translation spaces and which device
// (and PASID) uses which space. Generators describe it, the engine driver builds it,
// and `--record` stores it in the trace header so `replay` rebuilds the same machine.
import type { CacheGeometry } from '../engine/index.js';
import type { FormatName } from '../engine/index.js';

export interface SpaceSpec {
  format: FormatName;
  levels: number;
  /** Index (in Topology.spaces) of the stage-2 space this one nests on. */
  parent?: number;
  /** Invalidation group (the driver's domain id). */
  group: number;
  /** Guest-physical range of the parent's input where a nested space keeps its tables. */
  tables?: { base: number; limit: number };
}

export interface DeviceBinding {
  device: number;
  /** Absent: requests without a PASID. */
  pasid?: number;
  /** Index in Topology.spaces. */
  space: number;
}

export interface EngineGeometry {
  iotlb: CacheGeometry;
  walkCache: CacheGeometry | false;
  nestedTableCache: CacheGeometry | false;
  /** Frame pool for page tables (bytes). */
  physMemBytes: number;
  /** Page walks in flight at once (the engine's `walkers`; its default when absent). */
  walkers?: number;
}

export interface Topology {
  engine: EngineGeometry;
  spaces: SpaceSpec[];
  /** Devices not listed here address the space whose index is their device id. */
  devices: DeviceBinding[];
  /** Largest request a device issues; a DMA is split into requests of at most this size that never cross 4 KiB. */
  requestBytes: number;
}

export const DEFAULT_GEOMETRY: EngineGeometry = {
  iotlb: { sets: 64, ways: 4 },
  walkCache: { sets: 16, ways: 4 },
  nestedTableCache: { sets: 64, ways: 4 },
  physMemBytes: 256 << 20,
};

/** What a trace without a stored topology (an ftrace import) runs on: one x86-64 space per device. */
export function fallbackTopology(spaces: number): Topology {
  return {
    engine: DEFAULT_GEOMETRY,
    spaces: Array.from({ length: Math.max(1, spaces) }, () => ({ format: 'x86-64' as const, levels: 4, group: 0 })),
    devices: [],
    requestBytes: 4096,
  };
}

/** Checks a topology read from a trace header before the engine is built from it. */
export function parseTopology(value: unknown): Topology {
  const t = value as Topology;
  if (!t || typeof t !== 'object' || !Array.isArray(t.spaces) || !Array.isArray(t.devices) || typeof t.engine !== 'object') {
    throw new Error('trace metadata has no valid topology (spaces, devices, engine)');
  }
  t.spaces.forEach((s, i) => {
    if (s.parent !== undefined && !(s.parent >= 0 && s.parent < i)) throw new Error(`topology: space ${i} names parent ${s.parent}, which is not an earlier space`);
  });
  if (!(t.requestBytes >= 1 && t.requestBytes <= 4096 && (t.requestBytes & (t.requestBytes - 1)) === 0)) {
    throw new Error(`topology: requestBytes must be a power of two up to 4096, got ${t.requestBytes}`);
  }
  return t;
}
