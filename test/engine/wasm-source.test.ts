// Every form of EngineOptions.wasm, the default loader's URL, and the errors for a
// missing file or a value that is not a core.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { Access, Engine, EngineError, Perm, wasmUrl, type WasmSource } from '../../src/index.js';

const RELEASE = fileURLToPath(new URL('../../build/release.wasm', import.meta.url));
const bytes = readFileSync(RELEASE);

/** Maps one page and translates through it: the engine works, whatever it was made from. */
async function translatesWith(wasm: WasmSource): Promise<void> {
  const engine = await Engine.create({ wasm, physMemBytes: 1 << 20 });
  const s = engine.createSpace({ format: 'x86-64', levels: 4 });
  engine.map(s, 0x4000_0000n, 0x8000_0000n, 0x1000n, Perm.R | Perm.W);
  expect(engine.translate(s, 0x4000_0123n, Access.READ)).toEqual({ fault: 0, stage: 0, level: 0, addr: 0x8000_0123n });
  expect(engine.counters().walks).toBe(1);
}

async function refusal(options: Parameters<typeof Engine.create>[0]): Promise<EngineError> {
  const error = await Engine.create(options).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(EngineError);
  expect((error as Error).message).not.toContain('\n');
  return error as EngineError;
}

describe('Engine.create({ wasm })', () => {
  it('finds the default builds next to the package', () => {
    expect(fileURLToPath(wasmUrl())).toBe(RELEASE);
    expect(fileURLToPath(wasmUrl('debug'))).toBe(join(RELEASE, '../debug.wasm'));
  });

  it('takes the bytes as a Uint8Array and as an ArrayBuffer', async () => {
    await translatesWith(new Uint8Array(bytes));
    await translatesWith(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  });

  it('takes a compiled WebAssembly.Module, once for several engines', async () => {
    const module = await WebAssembly.compile(bytes);
    await translatesWith(module);
    await translatesWith(module);
  });

  it('takes a file: URL as a URL object, as a string, and a plain path', async () => {
    await translatesWith(pathToFileURL(RELEASE));
    await translatesWith(pathToFileURL(RELEASE).href);
    await translatesWith(RELEASE);
  });

  it('fetches an http: URL', async () => {
    let requests = 0;
    const server: Server = createServer((req, res) => {
      requests++;
      if (req.url === '/core.wasm') {
        res.writeHead(200, { 'content-type': 'application/wasm' }).end(bytes);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      await translatesWith(new URL(`http://127.0.0.1:${port}/core.wasm`));
      await translatesWith(`http://127.0.0.1:${port}/core.wasm`);
      expect(requests).toBe(1); // compiled once per URL
      const e = await refusal({ wasm: `http://127.0.0.1:${port}/missing.wasm` });
      expect(e.code).toBe('NO_WASM');
      expect(e.message).toMatch(/^Engine\.create: wasm: fetching http:\/\/127\.0\.0\.1:\d+\/missing\.wasm failed: HTTP 404/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a value of the wrong type with one line naming what it takes', async () => {
    for (const wasm of [42, {}, null, [1, 2], true] as unknown[]) {
      const e = await refusal({ wasm: wasm as WasmSource });
      expect(e.code).toBe('BAD_WASM');
      expect(e.message).toMatch(/^Engine\.create: wasm must be the core's bytes \(ArrayBuffer or Uint8Array\), a URL \(string or URL\) or a WebAssembly\.Module, not (number|Object|null|Array|boolean)$/);
    }
  });

  it('says which file is missing, in one line', async () => {
    const missing = join(RELEASE, '../no-such-core.wasm');
    const e = await refusal({ wasm: pathToFileURL(missing) });
    expect(e.code).toBe('NO_WASM');
    expect(e.message).toBe(`Engine.create: wasm: ${missing} is missing`);
    const named = await refusal({ build: 'no-such-build' });
    expect(named.message).toBe(`Engine.create: the no-such-build build: ${join(RELEASE, '../no-such-build.wasm')} is missing (in a checkout, run \`npm run asbuild\`)`);
    expect((await refusal({ build: '../release' })).code).toBe('BAD_WASM');
  });

  it('refuses bytes that are not Wasm, Wasm that is not the core, and build together with wasm', async () => {
    expect((await refusal({ wasm: new Uint8Array([1, 2, 3, 4]) })).message).toMatch(/^Engine\.create: the wasm bytes is not a WebAssembly module: /);
    // The smallest valid module: magic and version, no exports.
    const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect((await refusal({ wasm: empty })).message).toBe('Engine.create: the wasm module is not the iommu-wasm core (no memory, init, translateBatch, translateOne, map, unmap, counters, physFrame export)');
    expect((await refusal({ build: 'release', wasm: bytes })).code).toBe('BAD_WASM');
  });

  it('keeps the named builds working', async () => {
    for (const build of ['debug', 'release'] as const) {
      const engine = await Engine.create({ build, physMemBytes: 1 << 20 });
      expect(engine.createSpace({ format: 'vtd-ss', levels: 4 })).toBeGreaterThanOrEqual(0);
    }
  });
});
