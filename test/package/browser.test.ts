// The package in a browser, without a bundler: a server on 127.0.0.1 serves the
// package's dist/ and build/*.wasm as they ship (plus package.json) and a test page
// (test/package/browser/); Debian's headless Chromium loads the page, which imports
// dist/src/index.js as an ES module, runs the engine, System and an ioctl, a trace
// and a workload, and POSTs what it saw to /result. A bare or node: import anywhere
// in what the page loads fails to resolve in the browser and shows up as an error.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const PAGE_DIR = join(import.meta.dirname, 'browser');
const CHROMIUM = '/usr/bin/chromium';
const WAIT_MS = 60_000;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** The file a URL path names, if it is one the package ships (or the test page). */
function fileFor(path: string): string | undefined {
  const clean = normalize(decodeURIComponent(path));
  if (clean.includes('..')) return undefined;
  if (clean.startsWith('/test/')) return join(PAGE_DIR, clean.slice('/test/'.length));
  if (clean.startsWith('/dist/') || clean === '/build/release.wasm' || clean === '/build/debug.wasm' || clean === '/package.json') return join(ROOT, clean);
  return undefined;
}

interface PageResult {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

async function runPage(): Promise<{ result: PageResult; notFound: string[]; served: string[] }> {
  const notFound: string[] = [];
  const served: string[] = [];
  let resolveResult!: (r: PageResult) => void;
  const posted = new Promise<PageResult>((r) => { resolveResult = r; });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (req.method === 'POST' && path === '/result') {
      let body = '';
      req.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
      req.on('end', () => {
        res.writeHead(204).end();
        try {
          resolveResult(JSON.parse(body) as PageResult);
        } catch {
          resolveResult({ ok: false, error: `unreadable result: ${body}` });
        }
      });
      return;
    }
    const file = fileFor(path);
    if (req.method !== 'GET' || !file || !existsSync(file) || !statSync(file).isFile()) {
      if (path !== '/favicon.ico') notFound.push(`${req.method} ${path}`);
      res.writeHead(404).end();
      return;
    }
    served.push(path);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const profile = mkdtempSync(join(tmpdir(), 'iommu-chromium-'));
  let chromium: ChildProcess | undefined;
  let stderr = '';
  try {
    chromium = spawn(CHROMIUM, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--no-default-browser-check', '--disable-extensions', `--user-data-dir=${profile}`,
      `http://127.0.0.1:${port}/test/index.html`,
    ], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    chromium.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-4000); });
    const exited = new Promise<PageResult>((r) => chromium!.on('exit', (code) => r({ ok: false, error: `chromium exited (${code}) before the page reported:\n${stderr}` })));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<PageResult>((r) => {
      timer = setTimeout(() => r({ ok: false, error: `no result from the page within ${WAIT_MS / 1000} s; served ${served.join(', ')}; chromium said:\n${stderr}` }), WAIT_MS);
    });
    const result = await Promise.race([posted, exited, timeout]);
    clearTimeout(timer);
    return { result, notFound, served };
  } finally {
    if (chromium?.pid !== undefined && chromium.exitCode === null) {
      const gone = new Promise((r) => chromium!.once('exit', r));
      // Chromium's own helpers share its process group (detached: a group of its own).
      try { process.kill(-chromium.pid, 'SIGTERM'); } catch { /* already gone */ }
      const killed = await Promise.race([gone.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
      if (!killed) try { process.kill(-chromium.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(profile, { recursive: true, force: true });
  }
}

describe('the package in headless Chromium', () => {
  if (!existsSync(CHROMIUM)) {
    it.skip(`browser check skipped: ${CHROMIUM} is not installed (apt-get install chromium)`, () => {});
    return;
  }

  it('imports dist as plain ES modules and runs the engine, System and an ioctl, a trace and a workload', async () => {
    expect(existsSync(join(ROOT, 'dist/src/index.js')), 'dist/ is missing: run npm run build').toBe(true);
    const started = Date.now();
    const { result, notFound, served } = await runPage();
    expect(result.error ?? '').toBe('');
    expect(result).toMatchObject({
      ok: true,
      translate: { fault: 0, stage: 0, level: 0, addr: '0x100212345' },
      batch: { requests: 4016, faults: 16, first: '0x100200000', last: `0x${(0x1_0020_0000 + 3999 * 512).toString(16)}` },
      counters: { lookups: 4017, hits2M: 4000, faults: 16 },
      debugUrl: '0x80000123',
      ioasAlloc: { fd: 3, rc: 0, ioas: 1 },
      trace: { records: 3, same: true },
      workload: { faults: 0, seconds: true },
    });
    // The default loader found the shipped build from the module's own URL.
    expect(result.defaultWasm).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/build\/release\.wasm$/);
    expect((result.workload as { translations: number }).translations).toBeGreaterThan(0);
    expect(served).toEqual(expect.arrayContaining(['/build/release.wasm', '/build/debug.wasm', '/dist/src/index.js', '/dist/src/engine/wasm.js']));
    expect(notFound).toEqual([]);
    console.log(`browser check: ${served.length} files served, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, WAIT_MS + 30_000);
});
