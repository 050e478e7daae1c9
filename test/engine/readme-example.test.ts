// The engine example shown in README.md, kept runnable so the README stays true.
import { expect, it } from 'vitest';
import { Engine, Access, Perm } from '../../src/index.js';

it('runs the README engine example', async () => {
  const engine = await Engine.create({ iotlb: { sets: 1024, ways: 4 } });
  const s2 = engine.createSpace({ format: 'vtd-ss', levels: 4 });                 // host-owned second stage
  engine.map(s2, 0x0, 0x1_0000_0000, 64 << 20, Perm.R | Perm.W);                  // 64 MiB of guest RAM
  const guestTables = engine.createAllocator(32n << 20n, 64n << 20n, s2);         // stage-1 tables live in guest RAM
  const s1 = engine.createSpace({ format: 'x86-64', levels: 4, parent: s2, allocator: guestTables });
  engine.map(s1, 0x7f00_0000_0000n, 0x20_0000, 0x20_0000, Perm.R | Perm.W | Perm.U); // one 2 MiB guest page

  const hit = engine.translate(s1, 0x7f00_0001_2345n, Access.READ | Access.USER);
  expect(hit).toEqual({ fault: 0, stage: 0, level: 0, addr: 0x1_0021_2345n });

  const batch = engine.batch;                                                     // the fast path
  for (let i = 0; i < 1000; i++) batch.set(i, s1, 0x7f00_0000_0000 + i * 64, Access.WRITE);
  expect(batch.run(1000)).toBe(0);
  expect(batch.outAt(999)).toBe(0x1_0020_0000 + 999 * 64);

  engine.unmap(s1, 0x7f00_0000_0000n, 0x20_0000);
  engine.invalidateRange(s1, 0x7f00_0000_0000n, 0x20_0000);
  expect(engine.translate(s1, 0x7f00_0000_0000n, Access.READ).fault).toBe(1);
  const c = engine.counters();
  expect(c.walks).toBe(2);       // the first translation and the one after the unmap
  expect(c.hits2M).toBe(1000);   // both stages map 2 MiB pages: one IOTLB entry serves the batch
  // First walk: 3 stage-1 reads (root, PDPT, 2 MiB leaf), each table page found by a
  // stage-2 walk (3 reads cold, then 1 with the walk caches), and 1 read for the output:
  // 3 + (3 + 1 + 1) + 1 = 9. The walk after the unmap reads the now-empty root entry: 1.
  expect(c.pteReads).toBe(10);
});

it('runs the README iommufd example', async () => {
  const { System } = await import('../../src/index.js');
  const sys = await System.create();
  const fd = sys.open('/dev/iommu');
  const arg = sys.mem.alloc(12);
  sys.mem.write(arg, new Uint8Array([12, 0, 0, 0]));
  expect(sys.ioctl(fd, 0x3b81, arg)).toBe(0);
  const back = sys.mem.read(arg, 12);
  expect(back.ok && new DataView(back.value.buffer).getUint32(8, true)).toBe(1); // out_ioas_id
});
