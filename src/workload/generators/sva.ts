// Shared virtual addressing: an accelerator works for several processes at once,
// each through its own PASID bound to the process's address space (x86-64 tables),
// touching a large working set at random. Page size is the process's backing:
// 4 KiB pages or 2 MiB (THP/hugetlbfs).
import { Rng } from '../rng.js';
import type { OpSink } from '../ops.js';
import { COMMON_DEFAULTS, withDefaults, type CommonParams, PAGE_BYTES } from '../params.js';
import { Backing, RW, TopologyBuilder, addGuest, addGuestSpace, guestBacking, mapGuestRam, type Guest } from '../domain.js';
import { randomRuns, type AccessPattern } from './random-access.js';
import type { Workload } from '../workload.js';
import type { JsonValue } from '../../trace/records.js';

export interface SvaParams extends CommonParams, AccessPattern {
  processes: number;
  workingSetBytes: number;
  guestRamBytes: number;
}

export const SVA_DEFAULTS: SvaParams = {
  ...COMMON_DEFAULTS,
  steps: 4000,
  processes: 4,
  workingSetBytes: 64 << 20,
  accessesPerStep: 32,
  runBytes: 256,
  writeShare: 0.3,
  guestRamBytes: 2 * 2 ** 30, // not `2 << 30`: 32-bit shifts overflow to -2^31
};

const DEVICE = 0;
/** Process VAs of the working sets: user space, 2 MiB-aligned. */
const USER_BASE = 0x7f00_0000_0000;

export function sva(name: string, overrides: Partial<SvaParams> = {}): Workload {
  const p = withDefaults(SVA_DEFAULTS, overrides);
  const rng = new Rng(p.seed);
  const t = new TopologyBuilder(p);
  let guest: Guest | undefined;
  let backing: Backing;
  if (p.nested) {
    guest = addGuest(t, p, { guest: 0, ramBytes: p.guestRamBytes, group: 0 });
    backing = guestBacking(guest, p.pageSize);
  } else {
    backing = new Backing(16 * 2 ** 30, 128 * 2 ** 30, p.pageSize);
  }
  const processes = Array.from({ length: p.processes }, (_, i) => {
    // SVA: each process's own table (its mm), its own PASID and domain id.
    const space = guest ? addGuestSpace(t, guest, i + 1) : t.addSpace({ format: 'x86-64', levels: 4, group: i + 1 });
    const pasid = i + 1;
    t.bind(DEVICE, space, pasid);
    return { space, pasid, base: USER_BASE + i * 2 ** 36 };
  });

  return {
    name,
    unit: 'job',
    steps: p.steps,
    topology: t.build(),
    params: p as unknown as JsonValue,
    setup(sink: OpSink) {
      if (guest) mapGuestRam(sink, guest);
      const page = PAGE_BYTES[p.pageSize];
      const size = Math.ceil(p.workingSetBytes / page) * page;
      for (const proc of processes) sink.map(proc.space, proc.base, backing.take(size, proc.base), size, RW);
    },
    step(sink: OpSink) {
      const proc = processes[rng.below(processes.length)]!;
      randomRuns(sink, rng, p, DEVICE, proc.pasid, proc.base, p.workingSetBytes);
    },
    finish() {},
  };
}
