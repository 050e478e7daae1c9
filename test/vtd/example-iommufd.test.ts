// The README's iommufd example runs and tells the story it claims: every ioctl
// succeeds where it should, DMA lands in guest RAM, the stale translation is seen
// (and counted) before HWPT_INVALIDATE and gone after it.
import { expect, it } from 'vitest';
import { runVtdIommufdExample } from '../../src/examples/vtd/iommufd-nested.js';

it('the nested VT-d example through iommufd: DMA, stale without invalidation, fresh after HWPT_INVALIDATE', async () => {
  const transcript = await runVtdIommufdExample();
  expect(transcript).toContain('IOMMU_GET_HW_INFO = 0: type 1 (INTEL_VTD), data_len 24');
  expect(transcript).toMatch(/IOMMU_HWPT_ALLOC\(NEST_PARENT, pt ioas 2\) = 0: paging hwpt 3/);
  expect(transcript).toMatch(/VTD_S1\{pgtbl_addr 0x1000, addr_width 48\}\) = 0: nested hwpt 4/);
  expect(transcript).toContain('attach device 1 PASID 7 -> hwpt 4 = 4');
  expect(transcript).toContain('guest reads GPA 0x100010: "hello"');
  expect(transcript).toContain('DMA read 6 bytes at IOVA 0x7f1234567000: "page A"');
  expect(transcript).toContain('no invalidation; DMA read: "page A" (stale hits +1)');
  expect(transcript).toContain('npages 1}) = 0, entry_num 1');
  expect(transcript).toContain('DMA read: "page B" (stale hits +0)');
  expect(transcript).toContain('second addr misaligned) = -EINVAL, entry_num 1');
  expect(transcript).toContain('fault reason 1 (VT-d 0x71)');
  console.log(transcript);
});
