// Runs in headless Chromium against the package's dist/ and build/, served as they
// ship: the engine with the default loader (the .wasm found from import.meta.url) and
// with a URL, a batch of translations, System with IOMMU_IOAS_ALLOC, a binary trace
// round trip and a small workload. The outcome goes to POST /result as JSON.
const out = document.getElementById('out');

async function report(body) {
  out.textContent = JSON.stringify(body, null, 2);
  await fetch('/result', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const hex = (v) => `0x${v.toString(16)}`;

async function main() {
  const { Engine, Access, Perm, System, wasmUrl } = await import('/dist/src/index.js');
  const result = { defaultWasm: wasmUrl().href };

  // The README's engine example, with the default loader.
  const engine = await Engine.create({ iotlb: { sets: 1024, ways: 4 } });
  const s2 = engine.createSpace({ format: 'vtd-ss', levels: 4 });
  engine.map(s2, 0x0, 0x1_0000_0000, 64 << 20, Perm.R | Perm.W);
  const guestTables = engine.createAllocator(32n << 20n, 64n << 20n, s2);
  const s1 = engine.createSpace({ format: 'x86-64', levels: 4, parent: s2, allocator: guestTables });
  engine.map(s1, 0x7f00_0000_0000n, 0x20_0000, 0x20_0000, Perm.R | Perm.W | Perm.U);
  const t = engine.translate(s1, 0x7f00_0001_2345n, Access.READ | Access.USER);
  result.translate = { ...t, addr: hex(t.addr) };

  // A batch: 4000 writes over the 2 MiB page, then 16 reads of unmapped pages (faults).
  const batch = engine.batch;
  let n = 0;
  for (let i = 0; i < 4000; i++) batch.set(n++, s1, 0x7f00_0000_0000 + i * 512, Access.WRITE);
  for (let i = 0; i < 16; i++) batch.set(n++, s1, 0x7f00_4000_0000 + i * 4096, Access.READ);
  const faults = batch.run(n);
  result.batch = { requests: n, faults, first: hex(BigInt(batch.outAt(0))), last: hex(BigInt(batch.outAt(3999))) };
  const c = engine.counters();
  result.counters = { lookups: c.lookups, hits2M: c.hits2M, faults: c.faults };

  // The debug build by URL.
  const debug = await Engine.create({ wasm: new URL('/build/debug.wasm', location.href), physMemBytes: 1 << 20 });
  const s = debug.createSpace({ format: 'x86-64', levels: 4 });
  debug.map(s, 0x4000_0000n, 0x8000_0000n, 0x1000n, Perm.R);
  result.debugUrl = hex(debug.translate(s, 0x4000_0123n, Access.READ).addr);

  // iommufd: IOMMU_IOAS_ALLOC through ioctl, on an engine made from a compiled module.
  const module = await WebAssembly.compileStreaming(fetch('/build/release.wasm'));
  const sys = await System.create({ engineOptions: { wasm: module } });
  const fd = sys.open('/dev/iommu');
  const arg = sys.mem.alloc(12);
  sys.mem.write(arg, new Uint8Array([12, 0, 0, 0]));
  const rc = sys.ioctl(fd, 0x3b81, arg);
  const back = sys.mem.read(arg, 12);
  result.ioasAlloc = { fd, rc, ioas: back.ok ? new DataView(back.value.buffer, back.value.byteOffset).getUint32(8, true) : null };

  // The browser-safe trace entry: encode, then read back from a web ReadableStream.
  const trace = await import('/dist/src/trace/index.js');
  const records = [
    { type: 'map', space: 1, iova: 0x1000n, addr: 0x2000n, length: 0x1000n, perms: 3 },
    { type: 'dma', device: 1, iova: 0x1010n, length: 8n, access: 'read' },
    { type: 'unmap', space: 1, iova: 0x1000n, length: 0x1000n },
  ];
  const bytes = await trace.encodeBinaryTrace({ creator: 'browser', seed: 1n }, records);
  const read = await trace.readBinaryTrace(new Blob([bytes]).stream());
  result.trace = { bytes: bytes.length, records: read.records.length, same: JSON.stringify(read.records, (_, v) => typeof v === 'bigint' ? hex(v) : v) === JSON.stringify(records, (_, v) => typeof v === 'bigint' ? hex(v) : v) };

  // A workload from the browser-safe workload entry.
  const workload = await import('/dist/src/workload/index.js');
  const run = await workload.runWorkload(workload.createScenario('nic-strict', { steps: 200 }));
  result.workload = { translations: run.translations, faults: run.faults, seconds: run.seconds > 0 };

  return result;
}

main().then(
  (result) => report({ ok: true, ...result }),
  (error) => report({ ok: false, error: String(error && error.stack ? error.stack : error) }),
);
