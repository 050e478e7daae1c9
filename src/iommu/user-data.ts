// Driver payloads ("user data", spec §1.5): how a driver reads the struct or array a
// command points at. The uAPI core never decodes these bytes; it hands the descriptor
// to the driver, which copies it with the kernel's rules through these helpers.
import { E2BIG, EFAULT, EINVAL } from './errno.js';
import { fail, ok, type Result } from './result.js';
import { copyStructFromUser, type UserAccess } from './user-copy.js';

/** iommu_user_data: one driver struct. */
export interface UserData {
  readonly type: number;
  readonly uptr: bigint;
  readonly len: number;
}

/** iommu_user_data_array: driver request entries (HWPT_INVALIDATE). */
export interface UserDataArray {
  readonly type: number;
  readonly uptr: bigint;
  readonly entryLen: number;
  readonly entryNum: number;
}

/**
 * iommu_copy_struct_from_user: type must match, len between the mandatory part and
 * sizeof (a longer driver struct is EINVAL, not E2BIG), short structs zero-extended.
 */
export function copyUserData(mem: UserAccess, data: UserData, type: number, minLen: number, sizeof: number): Result<DataView> {
  if (data.type !== type) return fail(EINVAL);
  if (data.len < minLen || data.len > sizeof) return fail(EINVAL);
  const r = copyStructFromUser(mem, data.uptr, data.len, sizeof);
  return r.ok ? ok(new DataView(r.value.buffer)) : r;
}

/** iommu_copy_struct_from_user_array: entry `index` alone, with the single-struct rules. */
export function copyUserArrayEntry(
  mem: UserAccess,
  array: UserDataArray,
  type: number,
  index: number,
  minLen: number,
  sizeof: number,
): Result<DataView> {
  if (array.type !== type || array.entryNum === 0) return fail(EINVAL);
  if (array.entryLen < minLen || array.entryLen > sizeof) return fail(EINVAL);
  const at = array.uptr + BigInt(index) * BigInt(array.entryLen);
  const r = copyStructFromUser(mem, at, array.entryLen, sizeof);
  return r.ok ? ok(new DataView(r.value.buffer)) : r;
}

/**
 * iommu_copy_struct_from_full_user_array: every entry copied before any is processed;
 * short entries zero-extended with no minimum, longer ones need a zero tail (E2BIG).
 */
export function copyFullUserArray(mem: UserAccess, array: UserDataArray, type: number, sizeof: number): Result<DataView[]> {
  if (array.type !== type || array.entryNum === 0) return fail(EINVAL);
  const out: DataView[] = [];
  for (let i = 0; i < array.entryNum; i++) {
    const at = array.uptr + BigInt(i) * BigInt(array.entryLen);
    const r = copyStructFromUser(mem, at, array.entryLen, sizeof);
    if (!r.ok) return fail(r.errno === E2BIG ? E2BIG : EFAULT);
    out.push(new DataView(r.value.buffer));
  }
  return ok(out);
}

/** iommu_copy_struct_to_user: exactly `len` bytes of the kernel struct go back. */
export function copyUserDataOut(mem: UserAccess, data: UserData, type: number, minLen: number, bytes: Uint8Array): Result<void> {
  if (data.type !== type) return fail(EINVAL);
  if (data.len < minLen || data.len > bytes.length) return fail(EINVAL);
  return mem.write(data.uptr, bytes.subarray(0, data.len)).ok ? ok(undefined) : fail(EFAULT);
}
