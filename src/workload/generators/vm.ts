// Virtual machines sharing one IOMMU: every guest has its RAM in a VT-d second
// stage (vtd-ss, one domain id per guest) and an assigned device whose PASIDs are
// guest processes with their own x86-64 stage-1 tables nested on it. All guests'
// translations compete for the one IOTLB, walk caches and nested table cache.
import { Rng } from '../rng.js';
import type { OpSink } from '../ops.js';
import { COMMON_DEFAULTS, PAGE_BYTES, withDefaults, type CommonParams } from '../params.js';
import { RW, TopologyBuilder, addGuest, addGuestSpace, guestBacking, mapGuestRam } from '../domain.js';
import { randomRuns, type AccessPattern } from './random-access.js';
import type { Workload } from '../workload.js';
import type { JsonValue } from '../../trace/records.js';

export interface VmParams extends CommonParams, AccessPattern {
  guests: number;
  pasidsPerGuest: number;
  guestRamBytes: number;
  workingSetBytes: number;
}

export const VM_DEFAULTS: VmParams = {
  ...COMMON_DEFAULTS,
  nested: true,
  steps: 4000,
  guests: 4,
  pasidsPerGuest: 2,
  guestRamBytes: 512 << 20,
  workingSetBytes: 8 << 20,
  accessesPerStep: 32,
  runBytes: 256,
  writeShare: 0.3,
};

const GUEST_VA = 0x10_0000_0000;

export function vm(name: string, overrides: Partial<VmParams> = {}): Workload {
  const p = withDefaults(VM_DEFAULTS, overrides);
  const rng = new Rng(p.seed);
  const t = new TopologyBuilder(p);
  const guests = Array.from({ length: p.guests }, (_, g) => {
    const guest = addGuest(t, p, { guest: g, ramBytes: p.guestRamBytes, group: g });
    const backing = guestBacking(guest, p.pageSize);
    const pasids = Array.from({ length: p.pasidsPerGuest }, (_, k) => {
      const space = addGuestSpace(t, guest);
      t.bind(g, space, k + 1);
      return { space, pasid: k + 1, base: GUEST_VA + k * 2 ** 32 };
    });
    return { guest, backing, pasids, device: g };
  });

  return {
    name,
    unit: 'job',
    steps: p.steps,
    topology: t.build(),
    params: p as unknown as JsonValue,
    setup(sink: OpSink) {
      const page = PAGE_BYTES[p.pageSize];
      const size = Math.ceil(p.workingSetBytes / page) * page;
      for (const g of guests) {
        mapGuestRam(sink, g.guest);
        for (const ctx of g.pasids) sink.map(ctx.space, ctx.base, g.backing.take(size, ctx.base), size, RW);
      }
    },
    step(sink: OpSink) {
      const g = guests[rng.below(guests.length)]!;
      const ctx = g.pasids[rng.below(g.pasids.length)]!;
      randomRuns(sink, rng, p, g.device, ctx.pasid, ctx.base, p.workingSetBytes);
    },
    finish() {},
  };
}
