// IOMMU_TEST_OP_MOCK_DOMAIN(_FLAGS), MOCK_DOMAIN_REPLACE and the PASID ops: a new mock
// device attached to an IOAS or HWPT, and attach/replace/detach of an existing one.
import { attachDevice, detachDevice } from '../uapi/device/attach.js';
import { DeviceObject } from '../uapi/device/device.js';
import { EINVAL, ENOENT } from '../iommu/errno.js';
import { ObjectType } from '../uapi/objects.js';
import { decodeStruct, TestMockDomainFlags, TestMockDomainReplace, TestPasid, type IommuTestCmd } from '../iommu/abi/index.js';
import type { Ucmd } from '../uapi/ucmd.js';
import { MockDevice } from '../drivers/mock/device-state.js';
import { MOCK_FLAGS_DEVICE_HUGE_IOVA, MOCK_FLAGS_DEVICE_NO_DIRTY, MOCK_FLAGS_DEVICE_PASID } from '../iommu/abi/selftest.js';
import { SelftestObject } from './stdev.js';

type TestCmd = Ucmd<typeof IommuTestCmd.fields>;

const MOCK_DEVICE_FLAGS = MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA | MOCK_FLAGS_DEVICE_PASID;

export function mockDomain(u: TestCmd, withFlags: boolean): number {
  const devFlags = withFlags ? decodeStruct(TestMockDomainFlags, u.view).dev_flags : 0;
  if ((devFlags & ~MOCK_DEVICE_FLAGS) !== 0) return -EINVAL;
  const ptId = u.get('id');
  const objects = u.ctx.objects;
  if (!objects.get(ptId, ObjectType.IOAS) && !objects.get(ptId, ObjectType.HWPT_PAGING) && !objects.get(ptId, ObjectType.HWPT_NESTED)) {
    return -ENOENT;
  }
  const device = new DeviceObject(new MockDevice(devFlags));
  const stdev = new SelftestObject(u.ctx, device);
  const stdevId = objects.add(stdev);
  if (!stdevId.ok) return -stdevId.errno;
  const idevId = objects.add(device);
  if (!idevId.ok) {
    objects.forceDestroy(stdev, null);
    return -idevId.errno;
  }
  objects.hold(stdev, device);
  const attached = attachDevice(u.ctx, device, undefined, ptId, 'attach');
  if (!attached.ok) {
    objects.forceDestroy(stdev, null);
    return -attached.errno;
  }
  const out = TestMockDomainFlags.fields;
  u.view.setUint32(out.out_stdev_id.offset, stdevId.value, true);
  u.view.setUint32(out.out_hwpt_id.offset, attached.value.id, true);
  u.view.setUint32(out.out_idev_id.offset, idevId.value, true);
  const rc = u.respond();
  if (rc !== 0) objects.forceDestroy(stdev, null);
  return rc;
}

function stdevOf(u: TestCmd): SelftestObject | undefined {
  return u.ctx.objects.get<SelftestObject>(u.get('id'), ObjectType.SELFTEST);
}

export function mockDomainReplace(u: TestCmd): number {
  const stdev = stdevOf(u);
  if (!stdev) return -ENOENT;
  const ptId = decodeStruct(TestMockDomainReplace, u.view).pt_id;
  const r = attachDevice(u.ctx, stdev.device, undefined, ptId, 'replace');
  if (!r.ok) return -r.errno;
  u.view.setUint32(TestMockDomainReplace.fields.pt_id.offset, r.value.id, true);
  return u.respond();
}

export function pasidAttach(u: TestCmd, mode: 'attach' | 'replace'): number {
  const stdev = stdevOf(u);
  if (!stdev) return -ENOENT;
  const { pasid, pt_id } = decodeStruct(TestPasid, u.view);
  const r = attachDevice(u.ctx, stdev.device, pasid, pt_id, mode);
  if (!r.ok) return -r.errno;
  if (mode === 'replace') return 0;
  u.view.setUint32(TestPasid.fields.pt_id.offset, r.value.id, true);
  return u.respond();
}

export function pasidDetach(u: TestCmd): number {
  const stdev = stdevOf(u);
  if (!stdev) return -ENOENT;
  detachDevice(u.ctx, stdev.device, decodeStruct(TestPasid, u.view).pasid);
  return 0;
}

/** hwpt_id 0: nothing may be attached at the PASID; else exactly that HWPT. */
export function pasidCheckHwpt(u: TestCmd): number {
  const stdev = stdevOf(u);
  if (!stdev) return -ENOENT;
  const { pasid, pt_id: hwptId } = decodeStruct(TestPasid, u.view);
  const attached = stdev.device.attachedAt(pasid);
  if (hwptId === 0) return attached ? -EINVAL : 0;
  const hwpt = u.ctx.objects.getAny(hwptId);
  if (!hwpt) return -ENOENT;
  return attached === hwpt ? 0 : -EINVAL;
}

