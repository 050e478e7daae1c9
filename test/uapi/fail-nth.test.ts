// Allocation failure injection, the kernel's fail_nth idea: for one call, make its
// 1st, 2nd, ... allocation fail (object IDs, frames, pins, engine spaces and table
// maps, driver objects) until the call makes no more and succeeds. Every failing run
// must return -ENOMEM and leave the whole host exactly as before: objects, IOAS areas,
// every domain's mappings, pins, frames and the engine's frames in use.
import { describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import * as MK from '../../src/iommu/abi/selftest.js';
import { expectErrno, expectOk, Harness, MAP_FIXED_RW, PAGE } from './helpers.js';
import { checkSystem } from './invariants.js';
import * as MH from './mock-helpers.js';
import { stateSnapshot } from './snapshot.js';

const A = MK.MOCK_APERTURE_START;

interface World {
  h: Harness;
  ioas: number;
  buffer: number;
  dom: MH.MockDomain;
  parent: number;
  viommu: number;
}

/** An IOAS with three mapped pages, a mock device on it, a nest parent and a vIOMMU. */
async function world(): Promise<World> {
  const h = await Harness.open();
  const ioas = h.ioasAlloc();
  const buffer = h.sys.mem.alloc(8 * PAGE);
  // Touch the memory first: backing a page on first pin is the process's own fault-in,
  // which a failed call does not undo on Linux either.
  h.sys.mem.write(buffer, new Uint8Array(8 * PAGE).fill(1));
  h.sys.mem.write(h.arg, new Uint8Array(2 * PAGE));
  expectOk(h.map(ioas, buffer, 3 * PAGE, A, MAP_FIXED_RW).rc);
  const dom = MH.mockDomainOk(h, ioas);
  const parent = MH.hwptAlloc(h, dom.idev, ioas, { flags: U.IOMMU_HWPT_ALLOC_NEST_PARENT });
  expectOk(parent.rc);
  const viommu = MH.viommuAlloc(h, dom.idev, parent.id);
  expectOk(viommu.rc);
  return { h, ioas, buffer, dom, parent: parent.id, viommu: viommu.id };
}

/** Runs `call` with the Nth allocation failing, for N = 1.. until it succeeds; returns N-1. */
async function failNth(call: (w: World) => number, prepare?: (w: World) => void): Promise<number> {
  for (let n = 1; n < 10_000; n++) {
    const w = await world();
    prepare?.(w);
    const before = stateSnapshot(w.h.sys);
    w.h.sys.guard.arm(n);
    const rc = call(w);
    const failed = w.h.sys.guard.failedAt;
    w.h.sys.guard.disarm();
    if (failed === undefined) {
      expectOk(rc);
      checkSystem(w.h.sys);
      return n - 1;
    }
    expectErrno(U.ENOMEM, rc);
    expect(stateSnapshot(w.h.sys), `allocation ${n} (${failed})`).toBe(before);
    checkSystem(w.h.sys);
  }
  throw new Error('the call never succeeded');
}

describe('fail_nth: every allocation of a call fails in turn, and nothing changes', () => {
  it('IOMMU_TEST_OP_MOCK_DOMAIN (stdev, idev, automatic HWPT, engine space, maps)', async () => {
    const points = await failNth((w) => MH.mockDomain(w.h, w.ioas, MK.MOCK_FLAGS_DEVICE_NO_DIRTY).rc);
    expect(points).toBeGreaterThan(0);
  });

  it('IOMMU_TEST_OP_MOCK_DOMAIN on a fresh IOAS (a new automatic domain)', async () => {
    let other = 0;
    const points = await failNth(
      (w) => MH.mockDomain(w.h, other).rc,
      (w) => {
        other = w.h.ioasAlloc();
        expectOk(w.h.map(other, w.buffer, 2 * PAGE, A + 0x10000n, MAP_FIXED_RW).rc);
      },
    );
    expect(points).toBeGreaterThan(4);
  });

  it('IOMMU_HWPT_ALLOC paging with DIRTY_TRACKING over mapped areas', async () => {
    const points = await failNth((w) => MH.hwptAlloc(w.h, w.dom.idev, w.ioas, { flags: U.IOMMU_HWPT_ALLOC_DIRTY_TRACKING }).rc);
    expect(points).toBeGreaterThan(3);
  });

  it('IOMMU_HWPT_ALLOC nested on a parent and on a vIOMMU', async () => {
    expect(await failNth((w) => MH.hwptAllocNested(w.h, w.dom.idev, w.parent).rc)).toBeGreaterThan(0);
    expect(await failNth((w) => MH.hwptAllocNested(w.h, w.dom.idev, w.viommu).rc)).toBeGreaterThan(0);
  });

  it('IOMMU_IOAS_MAP into two domains (pins and engine maps)', async () => {
    const points = await failNth(
      (w) => w.h.map(w.ioas, w.buffer + 4 * PAGE, 2 * PAGE, A + 0x20000n, MAP_FIXED_RW).rc,
      (w) => expectOk(MH.hwptAlloc(w.h, w.dom.idev, w.ioas).rc),
    );
    expect(points).toBeGreaterThan(4);
  });

  it('IOMMU_IOAS_COPY into an IOAS with a domain', async () => {
    let dst = 0;
    await failNth(
      (w) =>
        w.h.call(U.IOMMU_IOAS_COPY, U.IommuIoasCopy, {
          flags: MAP_FIXED_RW,
          dst_ioas_id: dst,
          src_ioas_id: w.ioas,
          length: BigInt(2 * PAGE),
          dst_iova: A,
          src_iova: A,
        }).rc,
      (w) => {
        dst = w.h.ioasAlloc();
        MH.mockDomainOk(w.h, dst);
      },
    );
  });

  it('MOCK_DOMAIN_REPLACE onto another IOAS (new automatic domain, old one freed on success)', async () => {
    let other = 0;
    await failNth(
      (w) => MH.replace(w.h, w.dom.stdev, other).rc,
      (w) => {
        other = w.h.ioasAlloc();
        expectOk(w.h.map(other, w.buffer, PAGE, A, MAP_FIXED_RW).rc);
      },
    );
  });

  it('IOAS_ALLOC, FAULT_QUEUE_ALLOC, VIOMMU_ALLOC, VDEVICE_ALLOC, VEVENTQ_ALLOC, HW_QUEUE_ALLOC', async () => {
    await failNth((w) => w.h.call(U.IOMMU_IOAS_ALLOC, U.IommuIoasAlloc, {}).rc);
    await failNth((w) => w.h.call(U.IOMMU_FAULT_QUEUE_ALLOC, U.IommuFaultAlloc, {}).rc);
    await failNth((w) => MH.viommuAlloc(w.h, w.dom.idev, w.parent).rc);
    await failNth((w) => MH.vdeviceAlloc(w.h, w.viommu, w.dom.idev, 0x99n).rc);
    await failNth((w) => w.h.call(U.IOMMU_VEVENTQ_ALLOC, U.IommuVeventqAlloc, { viommu_id: w.viommu, type: MK.IOMMU_VEVENTQ_TYPE_SELFTEST, veventq_depth: 2 }).rc);
    await failNth(
      (w) =>
        w.h.call(U.IOMMU_HW_QUEUE_ALLOC, U.IommuHwQueueAlloc, {
          viommu_id: w.viommu,
          type: MK.IOMMU_HW_QUEUE_TYPE_SELFTEST,
          index: 0,
          nesting_parent_iova: A,
          length: BigInt(PAGE),
        }).rc,
    );
  });

  it('IOMMU_TEST_OP_DMABUF_GET (its frames) and MAP_FILE of the dma-buf into two domains', async () => {
    // Success returns the new fd.
    expect(await failNth((w) => Math.min(0, MH.dmabufGet(w.h, 3 * PAGE)))).toBe(3);
    let dfd = 0;
    const points = await failNth(
      (w) => w.h.mapFile(w.ioas, dfd, 0, 2 * PAGE, A + 0x20000n).rc,
      (w) => {
        dfd = MH.dmabufGet(w.h, 2 * PAGE);
        expectOk(MH.hwptAlloc(w.h, w.dom.idev, w.ioas).rc);
      },
    );
    expect(points).toBeGreaterThan(2);
  });

  it('IOMMU_VIOMMU_ALLOC with selftest data (the mmap-able pages)', async () => {
    const points = await failNth((w) => {
      const data = w.h.arg + PAGE;
      w.h.sys.mem.writeU32(data, 0xbeef);
      return w.h.call(U.IOMMU_VIOMMU_ALLOC, U.IommuViommuAlloc, {
        dev_id: w.dom.idev,
        hwpt_id: w.parent,
        type: MK.IOMMU_VIOMMU_TYPE_SELFTEST,
        data_len: 24,
        data_uptr: BigInt(data),
      }).rc;
    });
    expect(points).toBeGreaterThan(2);
  });

  it('VFIO_IOMMU_MAP_DMA on the compat IOAS', async () => {
    await failNth(
      (w) => {
        const arg = w.h.arg;
        w.h.sys.mem.write(arg, U.packStruct(U.VfioIommuType1DmaMap, { argsz: 32, flags: 3, vaddr: BigInt(w.buffer + 4 * PAGE), iova: A + 0x40000n, size: BigInt(2 * PAGE) }));
        return w.h.sys.ioctl(w.h.fd, U.VFIO_IOMMU_MAP_DMA, arg);
      },
      (w) => expectOk(w.h.call(U.IOMMU_VFIO_IOAS, U.IommuVfioIoas, { ioas_id: w.ioas, op: U.IOMMU_VFIO_IOAS_SET }).rc),
    );
  });
});
