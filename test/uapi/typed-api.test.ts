// The typed API (src/uapi/typed) against the syscall surface: each wrapper's result
// agrees with what the raw ioctls and the object table say, and every failure is an
// IommufdError with the kernel's errno, its name, the command and a message.
import { beforeEach, describe, expect, it } from 'vitest';
import * as Root from '../../src/index.js';
import * as U from '../../src/index.js';
import * as MK from '../../src/iommu/abi/selftest.js';
import type { MockNestedDomain } from '../../src/drivers/mock/index.js';
import { checkSystem } from './invariants.js';
import { selftestData } from './mock-helpers.js';

const A = U.MOCK_APERTURE_START;
const PAGE = 4096;

function thrown(fn: () => unknown): U.IommufdError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(U.IommufdError);
    return e as U.IommufdError;
  }
  throw new Error('expected an IommufdError');
}

function expectError(fn: () => unknown, code: string, command: string): U.IommufdError {
  const e = thrown(fn);
  expect(e.code).toBe(code);
  expect(e.errno).toBe((U as unknown as Record<string, number>)[code]);
  expect(e.command).toBe(command);
  expect(e.message).toContain(`${command} failed: ${code} (${e.errno}, `);
  return e;
}

describe('typed API', () => {
  let sys: U.System;
  let fd: U.Iommufd;
  let mock: U.MockSelftest;

  beforeEach(async () => {
    sys = await U.System.create();
    fd = U.Iommufd.open(sys);
    mock = new U.MockSelftest(fd);
  });

  const ctx = () => sys.contextOf(fd.fd)!;
  const ioasOf = (id: number) => ctx().objects.get<U.IoasObject>(id, U.ObjectType.IOAS)!;

  it('is exported from the package root with the System, layouts and numbers', () => {
    expect(Root.Iommufd).toBe(U.Iommufd);
    expect(Root.IommufdError).toBe(U.IommufdError);
    expect(Root.System).toBe(U.System);
    expect(Root.IommuIoasMap.sizeof).toBe(40);
    expect(Root.IOMMU_IOAS_MAP).toBe(0x3b85);
    expect(Root.Engine).toBeDefined();
    expect([Root.PROT_READ, Root.PROT_WRITE, Root.MAP_SHARED, Root.MAP_PRIVATE]).toEqual([1, 2, 1, 2]);
    expect(Root.DmaBuf).toBe(U.DmaBuf);
  });

  it('ioasAlloc / destroy round-trip through the object table; errors carry errno', () => {
    const a = fd.ioasAlloc();
    const b = fd.ioasAlloc();
    expect([a, b]).toEqual([1, 2]);
    expect(ioasOf(b)).toBeInstanceOf(U.IoasObject);
    fd.destroy(a);
    expect(ctx().objects.getAny(a)).toBeUndefined();
    const e = expectError(() => fd.destroy(a), 'ENOENT', 'IOMMU_DESTROY');
    expect(e.errno).toBe(2);
    expect(e.message).toBe('IOMMU_DESTROY failed: ENOENT (2, no such object or mapping)');
    expect(fd.ioasAlloc()).toBe(a);
  });

  it('ioasMap with bytes or an address, fixed or allocated; unmap returns the length', () => {
    const ioas = fd.ioasAlloc();
    const bytes = Uint8Array.from({ length: 2 * PAGE }, (_, i) => i & 0xff);
    const m = fd.ioasMap({ ioasId: ioas, bytes, iova: 0x100000n });
    expect(m.iova).toBe(0x100000n);
    expect([...(sys.mem.read(m.userAddress, 4) as { value: Uint8Array }).value]).toEqual([0, 1, 2, 3]);
    const area = ioasOf(ioas).iopt.areas[0];
    expect([area.start, area.last, area.pages.addressOf(area.pagesOffset)]).toEqual([0x100000n, 0x101fffn, BigInt(m.userAddress)]);
    const buf = sys.mem.alloc(PAGE);
    const auto = fd.ioasMap({ ioasId: ioas, userAddress: buf, length: BigInt(PAGE), flags: U.IOMMU_IOAS_MAP_READABLE });
    expect(ioasOf(ioas).iopt.areas.find((x) => x.start === auto.iova)!.prot).toBe(1);
    expectError(() => fd.ioasMap({ ioasId: ioas, userAddress: buf, length: BigInt(PAGE), iova: 0x100000n }), 'EEXIST', 'IOMMU_IOAS_MAP');
    expectError(() => fd.ioasMap({ ioasId: 99, userAddress: buf, length: BigInt(PAGE) }), 'ENOENT', 'IOMMU_IOAS_MAP');
    expectError(() => fd.ioasMap({ ioasId: ioas, userAddress: buf, length: 0n }), 'EINVAL', 'IOMMU_IOAS_MAP');
    expect(fd.ioasUnmap({ ioasId: ioas, iova: 0x100000n, length: 2n * BigInt(PAGE) })).toBe(2n * BigInt(PAGE));
    expectError(() => fd.ioasUnmap({ ioasId: ioas, iova: 0x100000n, length: BigInt(PAGE) }), 'ENOENT', 'IOMMU_IOAS_UNMAP');
    expect(fd.ioasUnmapAll(ioas)).toBe(BigInt(PAGE));
    expect(ioasOf(ioas).iopt.areas).toEqual([]);
  });

  it('ioasMapFile and ioasCopy', () => {
    const ioas = fd.ioasAlloc();
    const other = fd.ioasAlloc();
    const mfd = sys.memfdCreate(4 * PAGE);
    const iova = fd.ioasMapFile({ ioasId: ioas, fd: mfd, start: 0n, length: BigInt(2 * PAGE) });
    expect(ioasOf(ioas).iopt.areas[0].pages.source).toBe('file');
    expectError(() => fd.ioasMapFile({ ioasId: ioas, fd: mfd, start: 0n, length: 0n }), 'EINVAL', 'IOMMU_IOAS_MAP_FILE');
    expectError(() => fd.ioasMapFile({ ioasId: ioas, fd: 99, start: 0n, length: BigInt(PAGE) }), 'EBADF', 'IOMMU_IOAS_MAP_FILE');
    const dst = fd.ioasCopy({ dstIoasId: other, srcIoasId: ioas, srcIova: iova, length: BigInt(PAGE), dstIova: 0x200000n });
    expect(dst).toBe(0x200000n);
    expect(ioasOf(other).iopt.areas[0].pages).toBe(ioasOf(ioas).iopt.areas[0].pages);
    expectError(() => fd.ioasCopy({ dstIoasId: other, srcIoasId: ioas, srcIova: iova + 0x10000n, length: BigInt(PAGE) }), 'ENOENT', 'IOMMU_IOAS_COPY');
  });

  it('MockSelftest dma-buf: dmabufGet gives an fd for ioasMapFile, dmabufRevoke takes it back', () => {
    const ioas = fd.ioasAlloc();
    const dfd = mock.dmabufGet(3000);
    expect(sys.openFds()).toContain(dfd);
    fd.ioasMapFile({ ioasId: ioas, fd: dfd, start: 0n, length: BigInt(PAGE) });
    expect(ioasOf(ioas).iopt.areas[0].pages.source).toBe('dmabuf');
    mock.dmabufRevoke(dfd, true);
    expect(ioasOf(ioas).iopt.areas[0].pages.revoked).toBe(true);
    expectError(() => fd.ioasMapFile({ ioasId: ioas, fd: dfd, start: 0n, length: BigInt(PAGE) }), 'ENODEV', 'IOMMU_IOAS_MAP_FILE');
    mock.dmabufRevoke(dfd, false);
    fd.ioasMapFile({ ioasId: ioas, fd: dfd, start: 0n, length: BigInt(PAGE) });
    expectError(() => mock.dmabufGet(0), 'EINVAL', 'IOMMU_TEST_OP_DMABUF_GET');
    expectError(() => mock.dmabufRevoke(99, true), 'EBADF', 'IOMMU_TEST_OP_DMABUF_REVOKE');
  });

  it('ioasIovaRanges grows its array after EMSGSIZE; ioasAllowIovas sets the allowed list', () => {
    const ioas = fd.ioasAlloc();
    expect(fd.ioasIovaRanges(ioas)).toEqual({ ranges: [{ start: 0n, last: U.U64_MAX }], alignment: 1n });
    // Ten holes: more ranges than the first guess of eight.
    for (let i = 0; i < 10; i++) mock.addReserved(ioas, BigInt(i * 2 + 1) * 0x10000n, 0x10000n);
    const r = fd.ioasIovaRanges(ioas);
    expect(r.ranges.length).toBe(11);
    expect(r.ranges[1]).toEqual({ start: 0x20000n, last: 0x2ffffn });
    expect(r.ranges).toEqual(ioasOf(ioas).iopt.iovaRanges());
    fd.ioasAllowIovas(ioas, [{ start: 0x200000n, last: 0x2fffffn }]);
    expect(ioasOf(ioas).iopt.allowed).toEqual([{ start: 0x200000n, last: 0x2fffffn }]);
    expectError(() => fd.ioasAllowIovas(ioas, [{ start: 0x10000n, last: 0x1ffffn }]), 'EADDRINUSE', 'IOMMU_IOAS_ALLOW_IOVAS');
    expectError(() => fd.ioasIovaRanges(77), 'ENOENT', 'IOMMU_IOAS_IOVA_RANGES');
  });

  it('option, vfioIoas and ioasChangeProcess', () => {
    const ioas = fd.ioasAlloc();
    expect(fd.option({ optionId: U.IOMMU_OPTION_HUGE_PAGES, op: U.IOMMU_OPTION_OP_GET, objectId: ioas })).toBe(1n);
    fd.option({ optionId: U.IOMMU_OPTION_HUGE_PAGES, op: U.IOMMU_OPTION_OP_SET, objectId: ioas, val64: 0n });
    expect(ioasOf(ioas).iopt.hugePages).toBe(false);
    expectError(() => fd.option({ optionId: U.IOMMU_OPTION_HUGE_PAGES, op: U.IOMMU_OPTION_OP_SET, objectId: ioas, val64: 2n }), 'EINVAL', 'IOMMU_OPTION');
    expectError(() => fd.vfioIoas(U.IOMMU_VFIO_IOAS_GET), 'ENODEV', 'IOMMU_VFIO_IOAS');
    fd.vfioIoas(U.IOMMU_VFIO_IOAS_SET, ioas);
    expect(fd.vfioIoas(U.IOMMU_VFIO_IOAS_GET)).toBe(ioas);
    expect(ctx().vfioIoas?.id).toBe(ioas);
    fd.ioasChangeProcess();
  });

  it('mock devices, HWPT paging and nested, invalidation with entry_num on failure', () => {
    const ioas = fd.ioasAlloc();
    const dev = mock.addDevice(ioas);
    expect(ctx().objects.get(dev.devId, U.ObjectType.DEVICE)).toBeDefined();
    expect(ctx().objects.get(dev.hwptId, U.ObjectType.HWPT_PAGING)).toBeDefined();
    const parent = fd.hwptAlloc({ devId: dev.devId, ptId: ioas, flags: U.IOMMU_HWPT_ALLOC_NEST_PARENT });
    const nested = fd.hwptAlloc({ devId: dev.devId, ptId: parent, dataType: MK.IOMMU_HWPT_DATA_SELFTEST, data: selftestData() });
    expect(ctx().objects.get<U.HwptNested>(nested, U.ObjectType.HWPT_NESTED)!.parent.id).toBe(parent);
    expectError(() => fd.hwptAlloc({ devId: dev.devId, ptId: parent, dataType: MK.IOMMU_HWPT_DATA_SELFTEST, data: new Uint8Array(3) }), 'EINVAL', 'IOMMU_HWPT_ALLOC');
    expectError(() => fd.hwptAlloc({ devId: dev.devId, ptId: parent, dataType: MK.IOMMU_HWPT_DATA_SELFTEST + 1, data: selftestData() }), 'EOPNOTSUPP', 'IOMMU_HWPT_ALLOC');
    const entry = (flags: number, id: number) => new Uint8Array(new Uint32Array([flags, id]).buffer);
    expect(fd.hwptInvalidate({ hwptId: nested, dataType: MK.IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, entryLen: 8, entries: [entry(0, 0), entry(0, 1)] })).toBe(2);
    const e = expectError(
      () => fd.hwptInvalidate({ hwptId: nested, dataType: MK.IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, entryLen: 8, entries: [entry(0, 2), entry(0, 4)] }),
      'EINVAL',
      'IOMMU_HWPT_INVALIDATE',
    );
    expect(e.details.entry_num).toBe(1);
    expect([...(ctx().objects.get<U.HwptNested>(nested, U.ObjectType.HWPT_NESTED)!.domain as MockNestedDomain).iotlb]).toEqual([0, 0, 0, MK.IOMMU_TEST_IOTLB_DEFAULT]);
    expect(mock.replace(dev.stdevId, nested)).toBe(nested);
    expectError(() => fd.destroy(nested), 'EBUSY', 'IOMMU_DESTROY');
    expect(mock.replace(dev.stdevId, ioas)).toBeGreaterThan(0);
    fd.destroy(nested);
    mock.removeDevice(dev);
    expectError(() => mock.replace(dev.stdevId, ioas), 'ENOENT', 'IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE');
    checkSystem(sys);
  });

  it('getHwInfo, dirty tracking and the dirty bitmap from device writes', () => {
    const ioas = fd.ioasAlloc();
    const dev = mock.addDevice(ioas, MK.MOCK_FLAGS_DEVICE_PASID);
    const info = fd.getHwInfo({ devId: dev.devId });
    expect(info.dataType).toBe(MK.IOMMU_HW_INFO_TYPE_SELFTEST);
    expect(info.dataLen).toBe(8);
    expect(new DataView(info.data.buffer).getUint32(4, true)).toBe(MK.IOMMU_HW_INFO_SELFTEST_REGVAL);
    expect(info.maxPasidLog2).toBe(20);
    expect(info.capabilities & U.IOMMU_HW_CAP_DIRTY_TRACKING).toBe(U.IOMMU_HW_CAP_DIRTY_TRACKING);
    expectError(() => fd.getHwInfo({ devId: dev.devId, dataType: MK.IOMMU_HW_INFO_TYPE_SELFTEST + 1 }), 'EOPNOTSUPP', 'IOMMU_GET_HW_INFO');
    expectError(() => fd.getHwInfo({ devId: 99 }), 'ENOENT', 'IOMMU_GET_HW_INFO');

    const hwpt = fd.hwptAlloc({ devId: dev.devId, ptId: ioas, flags: U.IOMMU_HWPT_ALLOC_DIRTY_TRACKING });
    mock.replace(dev.stdevId, hwpt);
    fd.ioasMap({ ioasId: ioas, bytes: new Uint8Array(8 * PAGE), iova: A });
    fd.setDirtyTracking(hwpt, true);
    // A device write to the third 2 KiB unit and the sixth.
    expect('data' in sys.dma(dev.devId, { iova: A + 2n * 2048n, write: true, data: new Uint8Array(16) })).toBe(true);
    expect('data' in sys.dma(dev.devId, { iova: A + 5n * 2048n, write: true, data: new Uint8Array(16) })).toBe(true);
    const bitmap = fd.getDirtyBitmap({ hwptId: hwpt, iova: A, length: BigInt(8 * PAGE), pageSize: 2048n, noClear: true });
    expect(bitmap.length).toBe(8);
    expect(bitmap[0]).toBe(0b100100);
    expect(fd.getDirtyBitmap({ hwptId: hwpt, iova: A, length: BigInt(8 * PAGE), pageSize: 2048n })[0]).toBe(0b100100);
    expect(fd.getDirtyBitmap({ hwptId: hwpt, iova: A, length: BigInt(8 * PAGE), pageSize: 2048n })[0]).toBe(0);
    expectError(() => fd.getDirtyBitmap({ hwptId: hwpt, iova: A, length: BigInt(8 * PAGE), pageSize: 0n }), 'EINVAL', 'IOMMU_HWPT_GET_DIRTY_BITMAP');
    fd.setDirtyTracking(hwpt, false);
    expectError(() => fd.setDirtyTracking(99, true), 'ENOENT', 'IOMMU_HWPT_SET_DIRTY_TRACKING');

    const pasidHwpt = fd.hwptAlloc({ devId: dev.devId, ptId: ioas, flags: U.IOMMU_HWPT_ALLOC_PASID });
    mock.replace(dev.stdevId, pasidHwpt);
    mock.pasidAttach(dev.stdevId, 100, pasidHwpt);
    expect(ctx().objects.get<U.DeviceObject>(dev.devId, U.ObjectType.DEVICE)!.attachedAt(100)?.id).toBe(pasidHwpt);
    expectError(() => mock.pasidAttach(dev.stdevId, 100, pasidHwpt), 'EBUSY', 'IOMMU_TEST_OP_PASID_ATTACH');
    mock.pasidReplace(dev.stdevId, 100, pasidHwpt);
    mock.pasidDetach(dev.stdevId, 100);
    expect(ctx().objects.get<U.DeviceObject>(dev.devId, U.ObjectType.DEVICE)!.attachedAt(100)).toBeUndefined();
    checkSystem(sys);
  });

  it('fault queue, vIOMMU with data, vDEVICE, vEVENTQ and HW queue', () => {
    const ioas = fd.ioasAlloc();
    const dev = mock.addDevice(ioas);
    const fault = fd.faultQueueAlloc();
    expect(ctx().objects.get(fault.id, U.ObjectType.FAULT)).toBeDefined();
    expect(sys.openFds()).toContain(fault.fd);
    const parent = fd.hwptAlloc({ devId: dev.devId, ptId: ioas, flags: U.IOMMU_HWPT_ALLOC_NEST_PARENT });
    const data = new Uint8Array(24);
    new DataView(data.buffer).setUint32(0, 0xbeef, true);
    const viommu = fd.viommuAlloc({ devId: dev.devId, hwptId: parent, type: MK.IOMMU_VIOMMU_TYPE_SELFTEST, data });
    expect(new DataView(viommu.data.buffer).getUint32(4, true)).toBe(0xbeef);
    expectError(() => fd.viommuAlloc({ devId: dev.devId, hwptId: parent, type: 0xdead }), 'EOPNOTSUPP', 'IOMMU_VIOMMU_ALLOC');
    const vdev = fd.vdeviceAlloc({ viommuId: viommu.id, devId: dev.devId, virtId: 0x99n });
    expect(ctx().objects.get<U.VdeviceObject>(vdev, U.ObjectType.VDEVICE)!.virtId).toBe(0x99n);
    expectError(() => fd.vdeviceAlloc({ viommuId: viommu.id, devId: dev.devId, virtId: 0x98n }), 'EEXIST', 'IOMMU_VDEVICE_ALLOC');
    const q = fd.veventqAlloc({ viommuId: viommu.id, type: MK.IOMMU_VEVENTQ_TYPE_SELFTEST, depth: 2 });
    expect(ctx().objects.get(q.id, U.ObjectType.VEVENTQ)).toBeDefined();
    expectError(() => fd.veventqAlloc({ viommuId: viommu.id, type: MK.IOMMU_VEVENTQ_TYPE_SELFTEST, depth: 2 }), 'EEXIST', 'IOMMU_VEVENTQ_ALLOC');
    const iova = fd.ioasMap({ ioasId: ioas, bytes: new Uint8Array(PAGE), iova: A }).iova;
    const hwq = fd.hwQueueAlloc({ viommuId: viommu.id, type: MK.IOMMU_HW_QUEUE_TYPE_SELFTEST, index: 0, nestingParentIova: iova, length: BigInt(PAGE) });
    expect(ctx().objects.get(hwq, U.ObjectType.HW_QUEUE)).toBeDefined();
    expectError(() => fd.hwQueueAlloc({ viommuId: viommu.id, type: MK.IOMMU_HW_QUEUE_TYPE_SELFTEST, index: 2, nestingParentIova: iova, length: BigInt(PAGE) }), 'EINVAL', 'IOMMU_HW_QUEUE_ALLOC');
    expectError(() => fd.ioasUnmap({ ioasId: ioas, iova, length: BigInt(PAGE) }), 'EBUSY', 'IOMMU_IOAS_UNMAP');
    expectError(() => fd.writeFd(q.fd, new Uint8Array(8)), 'EINVAL', 'write');
    checkSystem(sys);
    for (const f of [fault.fd, q.fd]) expect(sys.close(f)).toBe(0);
    fd.close();
    expect(sys.liveContexts()).toEqual([]);
    expect(sys.pool.totalPins).toBe(0);
  });
});
