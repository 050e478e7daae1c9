// The README example runs and tells the story it claims.
import { expect, it } from 'vitest';
import { runVtdNestedExample } from '../../src/examples/vtd/mmio-nested.js';

it('the nested VT-d example translates, goes stale after a PTE change, and is fresh after P_IOTLB', async () => {
  const transcript = await runVtdNestedExample();
  const lines = transcript.split('\n');
  expect(lines.filter((l) => l.includes('in guest RAM: true'))).toHaveLength(3);
  expect(transcript).toContain('guest reads GPA 0x200010: "hello"');
  expect(transcript).toMatch(/no invalidation: HPA 0x[0-9a-f]+ \(stale hits: 1\)/);
  expect(transcript).toContain('status 0x1234');
  expect(transcript).toContain('fault reason 0x71');
  console.log(transcript);
});
