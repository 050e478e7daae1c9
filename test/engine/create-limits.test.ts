// Engine.create with sizes that do not fit: every one is refused with the option's
// name or the 4 GiB limit, never laid out with regions that wrap around and overlap.
import { describe, expect, it } from 'vitest';
import { Access, Engine, EngineError, Perm, type EngineOptions } from '../../src/engine/index.js';

async function codeOf(options: EngineOptions): Promise<string> {
  try {
    await Engine.create(options);
  } catch (e) {
    if (e instanceof EngineError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'created';
}

describe('Engine.create limits', () => {
  it('refuses configurations whose memory map passes 4 GiB (the sums used to wrap)', async () => {
    const tooBig: EngineOptions[] = [
      { physMemBytes: 2 ** 33 },
      { physMemBytes: 2 ** 32 - 4096 },
      { iotlb: { sets: 2 ** 24, ways: 16 } },
      { walkCache: { sets: 2 ** 24, ways: 64 } },
      { faultRingEntries: 2 ** 30 },
      { batchCapacity: 2 ** 30 },
      { maxGroups: 2 ** 31 },
      { maxAllocators: 2 ** 27 },
      { tablePageRecords: 2 ** 30 },
    ];
    for (const options of tooBig) {
      expect(await codeOf(options), JSON.stringify(options)).toMatch(/^NO_MEMORY: .*4 GiB/);
    }
  });

  it('refuses numbers the core would convert silently, naming the option', async () => {
    const cases: [EngineOptions, RegExp][] = [
      [{ physMemBytes: -1 }, /physMemBytes/],
      [{ physMemBytes: Number.NaN }, /physMemBytes/],
      [{ physMemBytes: 2 ** 50 }, /physMemBytes .*4 GiB/],
      [{ maxSpaces: 1.5 }, /maxSpaces/],
      [{ maxSpaces: 0 }, /maxSpaces/],
      [{ batchCapacity: -1 }, /batchCapacity/],
      [{ iotlb: { sets: 2 ** 32, ways: 4 } }, /iotlb\.sets/],
      [{ walkCache: { sets: 64, ways: -4 } }, /walkCache\.ways/],
      [{ rangeProbeLimit: 0.5 }, /rangeProbeLimit/],
    ];
    for (const [options, message] of cases) {
      const got = await codeOf(options);
      expect(got, JSON.stringify(options)).toMatch(/^BAD_GEOMETRY|^NO_MEMORY/);
      expect(got, JSON.stringify(options)).toMatch(message);
    }
  });

  it('a large configuration that fits works end to end and reports its metadata size', async () => {
    const engine = await Engine.create({ physMemBytes: 64 << 20, iotlb: { sets: 2 ** 20, ways: 4 } });
    // 2^22 IOTLB entries of 32 bytes: 128 MiB of metadata, counted as such.
    expect(engine.metadataBytes()).toBeGreaterThan(128 << 20);
    expect(engine.metadataBytes()).toBeLessThan(160 << 20);
    const space = engine.createSpace({ format: 'x86-64', levels: 4 });
    engine.map(space, 0x1000_0000n, 0x20_0000n, 0x1000n, Perm.R);
    expect(engine.translate(space, 0x1000_0123n, Access.READ)).toMatchObject({ addr: 0x20_0123n });
  });

  it('works when its batch ring and frame pool lie past 2 GiB of linear memory', async () => {
    // A 2 GiB fault ring (never touched, so never committed) pushes everything after it
    // past 2^31, where Wasm hands addresses to JavaScript as negative i32s.
    const engine = await Engine.create({ physMemBytes: 16 << 20, faultRingEntries: 2 ** 26 });
    expect(engine.metadataBytes()).toBeGreaterThan(2 ** 31);
    const space = engine.createSpace({ format: 'x86-64', levels: 4 });
    engine.map(space, 0x4000_0000n, 0x20_0000n, 0x2000n, Perm.R | Perm.W);
    engine.phys.write(0x20_0ff8n, Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
    expect([...engine.phys.read(0x20_0ff8n, 10)]).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(engine.phys.read64(0x20_1000n)).toBe(1n);
    const batch = engine.batch;
    batch.set(0, space, 0x4000_1234, Access.READ);
    batch.set(1, space, 0x5000_0000, Access.READ);
    expect(batch.run(2)).toBe(1);
    expect(batch.outAt(0)).toBe(0x20_1234);
    expect(engine.drainFaults()).toMatchObject([{ iova: 0x5000_0000n, space }]);
    expect(engine.counters().walks).toBe(2);
  });
});

