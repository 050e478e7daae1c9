// The whole observable state of a simulated host as one string, for "a failed call
// changes nothing" checks: objects (IDs, types, users, links), IOAS areas, reserved and
// allowed ranges, locks, every domain's mappings, devices' attachments, pins, frames
// and the engine's frames in use, open fds.
import * as U from '../../src/index.js';
import { MockNestedDomain, MockPagingDomain } from '../../src/drivers/mock/index.js';
import { MockDevice } from '../../src/drivers/mock/device-state.js';
import { RecordingDomain } from '../../src/uapi/testing/recording-domain.js';
import { AccessObject } from '../../src/selftest/access.js';

function domainState(d: U.IoPagingDomain): unknown {
  if (d instanceof MockPagingDomain) return { mock: [...d.mappings()].map((m) => [m.iova, m.pa]), tracking: d.dirty?.enabled };
  if (d instanceof RecordingDomain) return { recording: [...d.mappings()].map(([iova, e]) => [iova, e.pa, e.prot]) };
  return 'unknown';
}

function objectState(o: U.IommufdObject): unknown {
  const base = { id: o.id, type: o.type, users: o.users, holds: o.holds.map((t) => t.id) };
  if (o instanceof U.IoasObject) {
    const t = o.iopt;
    return {
      ...base,
      areas: t.areas.map((a) => [a.start, a.last, a.prot, a.pagesOffset, a.pinned, a.pages.revoked]),
      reserved: t.reserved.map((r) => [r.start, r.last]),
      allowed: t.allowed.map((r) => [r.start, r.last]),
      locks: t.locks.map((l) => [l.range.start, l.range.last]),
      accessPins: t.accessPins.map((p) => [p.range.start, p.range.last]),
      domains: t.domains.map(domainState),
      hugePages: t.hugePages,
    };
  }
  if (o instanceof U.DeviceObject) {
    const v = o.driverDevice;
    return {
      ...base,
      attachments: [...o.attachments].map(([pasid, h]) => [pasid, h.id]),
      vdevice: o.vdevice?.id,
      cache: v instanceof MockDevice ? [...v.cache] : undefined,
      viommu: v instanceof MockDevice ? v.viommu?.vdevId : undefined,
    };
  }
  if (o instanceof U.HwptNested) return { ...base, iotlb: o.domain instanceof MockNestedDomain ? [...o.domain.iotlb] : undefined };
  if (o instanceof U.ViommuObject) return { ...base, vdevices: [...o.vdevices.keys()], veventqs: [...o.veventqs.keys()], queues: [...o.hwQueues.keys()] };
  if (o instanceof U.VeventqObject) return { ...base, pending: o.pending };
  if (o instanceof AccessObject) return { ...base, ioas: o.ioas.id, items: o.itemIds };
  return base;
}

/**
 * `frames: false` leaves out frame counts: a failed call may still have faulted in the
 * process's pages (as on Linux), which is not a change of iommufd state.
 */
export function stateSnapshot(sys: U.System, options: { frames?: boolean } = {}): string {
  const parts: unknown[] = [];
  for (const ctx of sys.liveContexts()) {
    parts.push({
      objects: [...ctx.objects.values()].map(objectState),
      tombstones: ctx.objects.tombstoneIds(),
      vfio: ctx.vfioIoas?.id,
      rlimit: ctx.rlimitMode,
      limit: ctx.testMemoryLimit,
    });
  }
  const frames = options.frames ?? true;
  parts.push({
    pins: sys.pool.totalPins,
    frames: frames ? sys.pool.liveFrames : undefined,
    engineFrames: frames ? sys.engine.phys.framesInUse() : undefined,
    fds: sys.openFds(),
  });
  return JSON.stringify(parts, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v));
}
