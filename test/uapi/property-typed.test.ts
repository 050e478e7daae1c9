// fast-check at the typed-API level: random sequences of typed calls with random
// arguments (small IDs, IOVAs near the mock aperture, lengths around page and 2 KiB
// multiples, random flags and driver payloads). Properties: the only exception that
// escapes a call is IommufdError (with a known errno), the invariant walk holds after
// every step, and closing every fd releases every pin.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import * as MK from '../../src/iommu/abi/selftest.js';
import { checkSystem } from './invariants.js';

const PAGE = 4096n;
const reached = new Map<string, number>();
const note = (what: string) => reached.set(what, (reached.get(what) ?? 0) + 1);

interface World {
  sys: U.System;
  fd: U.Iommufd;
  mock: U.MockSelftest;
  buffer: number;
  mfd: number;
  devices: U.MockDevice[];
}

const id = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 0xffff_ffff) });
const iova = fc.oneof(
  fc.constantFrom(0n, U.MOCK_APERTURE_START, U.MOCK_APERTURE_START + 0x800n, U.MOCK_APERTURE_LAST, U.U64_MAX),
  fc.nat(32).map((n) => U.MOCK_APERTURE_START + BigInt(n) * PAGE),
  fc.nat(32).map((n) => BigInt(n) * 0x800n),
);
const length = fc.oneof(
  fc.integer({ min: 1, max: 8 }).map((n) => BigInt(n) * PAGE),
  fc.integer({ min: 1, max: 16 }).map((n) => BigInt(n) * 0x800n),
  fc.constantFrom(0n, 1n, U.U64_MAX),
);
const flags = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, 1, 2, 4, 6, 7) }, { weight: 1, arbitrary: fc.nat(0xffff) });
/** Map flags: mostly READABLE|WRITEABLE or one of them, sometimes anything. */
const mapFlags = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(undefined, 6, 2, 4) }, { weight: 1, arbitrary: flags });
const ioasId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 2) }, { weight: 1, arbitrary: id });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const payload = fc.oneof(
  fc.constant(undefined),
  fc.constant(new Uint8Array(new Uint32Array([MK.IOMMU_TEST_IOTLB_DEFAULT, 0]).buffer)),
  fc.uint8Array({ maxLength: 32 }),
);

type Call = (w: World) => unknown;

const callArb: fc.Arbitrary<{ name: string; run: Call }> = fc.oneof(
  fc.constant({ name: 'ioasAlloc', run: (w: World) => w.fd.ioasAlloc() }),
  fc.record({ i: id }).map(({ i }) => ({ name: 'destroy', run: (w: World) => w.fd.destroy(i) })),
  fc.record({ i: ioasId, v: maybe(iova), off: fc.nat(12), len: length, f: mapFlags, useBytes: fc.boolean() }).map((a) => ({
    name: 'ioasMap',
    run: (w: World) =>
      a.useBytes && a.len > 0n && a.len <= 8n * PAGE
        ? w.fd.ioasMap({ ioasId: a.i, iova: a.v, bytes: new Uint8Array(Number(a.len)).fill(0x11), flags: a.f })
        : w.fd.ioasMap({ ioasId: a.i, iova: a.v, userAddress: w.buffer + a.off * 2048, length: a.len, flags: a.f }),
  })),
  fc.record({ i: ioasId, start: fc.nat(8).map((n) => BigInt(n) * 0x800n), len: length, v: maybe(iova), f: mapFlags }).map((a) => ({
    name: 'ioasMapFile',
    run: (w: World) => w.fd.ioasMapFile({ ioasId: a.i, fd: w.mfd, start: a.start, length: a.len, iova: a.v, flags: a.f }),
  })),
  fc.record({ i: ioasId, v: iova, len: length, all: fc.boolean() }).map((a) => ({
    name: 'ioasUnmap',
    run: (w: World) => (a.all ? w.fd.ioasUnmapAll(a.i) : w.fd.ioasUnmap({ ioasId: a.i, iova: a.v, length: a.len })),
  })),
  fc.record({ s: ioasId, d: ioasId, sv: iova, fromArea: fc.boolean(), dv: maybe(iova), len: length, f: mapFlags }).map((a) => ({
    name: 'ioasCopy',
    run: (w: World) => {
      // Half the time the source is an existing mapping, so copies can succeed.
      const area = a.fromArea ? w.sys.contextOf(w.fd.fd)?.objects.get<U.IoasObject>(a.s, U.ObjectType.IOAS)?.iopt.areas[0] : undefined;
      const [srcIova, len] = area ? [area.start, area.last - area.start + 1n] : [a.sv, a.len];
      return w.fd.ioasCopy({ srcIoasId: a.s, dstIoasId: a.d, srcIova, dstIova: a.dv, length: len, flags: a.f });
    },
  })),
  fc.record({ i: ioasId }).map(({ i }) => ({ name: 'ioasIovaRanges', run: (w: World) => w.fd.ioasIovaRanges(i) })),
  fc.record({ i: ioasId, ranges: fc.array(fc.tuple(iova, length), { maxLength: 3 }) }).map((a) => ({
    name: 'ioasAllowIovas',
    run: (w: World) => w.fd.ioasAllowIovas(a.i, a.ranges.map(([start, len]) => ({ start, last: start + len - 1n }))),
  })),
  fc.record({ opt: fc.nat(2), op: fc.nat(2), i: id, v: fc.constantFrom(0n, 1n, 2n) }).map((a) => ({
    name: 'option',
    run: (w: World) => w.fd.option({ optionId: a.opt, op: a.op, objectId: a.i, val64: a.v }),
  })),
  fc.record({ pt: ioasId, f: maybe(fc.constantFrom(0, 1, 2, 4, 8)) }).map((a) => ({
    name: 'addDevice',
    run: (w: World) => w.devices.push(w.mock.addDevice(a.pt, a.f)),
  })),
  fc.record({ d: fc.nat(3), pt: id }).map((a) => ({
    name: 'replace',
    run: (w: World) => w.mock.replace(w.devices[a.d % Math.max(1, w.devices.length)]?.stdevId ?? 1, a.pt),
  })),
  fc.record({ d: fc.nat(3), pt: id, f: flags, type: fc.constantFrom(0, MK.IOMMU_HWPT_DATA_SELFTEST, 1), data: payload, fault: maybe(id) }).map((a) => ({
    name: 'hwptAlloc',
    run: (w: World) =>
      w.fd.hwptAlloc({ devId: w.devices[a.d % Math.max(1, w.devices.length)]?.devId ?? a.d, ptId: a.pt, flags: a.f & 0xf, dataType: a.type, data: a.data, faultId: a.fault }),
  })),
  fc.record({ h: id, type: fc.constantFrom(MK.IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, MK.IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, 0), len: fc.constantFrom(0, 1, 8, 12, 16), n: fc.nat(3), word: fc.nat(5) }).map((a) => ({
    name: 'hwptInvalidate',
    run: (w: World) =>
      w.fd.hwptInvalidate({
        hwptId: a.h,
        dataType: a.type,
        entryLen: a.len,
        entries: Array.from({ length: a.n }, () => new Uint8Array(new Uint32Array([0, a.word, a.word, 0]).buffer).subarray(0, a.len)),
      }),
  })),
  fc.record({ d: id, t: maybe(fc.constantFrom(0, MK.IOMMU_HW_INFO_TYPE_SELFTEST)), len: fc.constantFrom(0, 4, 8, 64) }).map((a) => ({
    name: 'getHwInfo',
    run: (w: World) => w.fd.getHwInfo({ devId: a.d, dataType: a.t, dataLen: a.len }),
  })),
  fc.record({ h: id, on: fc.boolean() }).map((a) => ({ name: 'setDirtyTracking', run: (w: World) => w.fd.setDirtyTracking(a.h, a.on) })),
  fc.record({ h: id, v: iova, len: length, ps: fc.constantFrom(0n, 2048n, 4096n, 3n), nc: fc.boolean() }).map((a) => ({
    name: 'getDirtyBitmap',
    run: (w: World) => w.fd.getDirtyBitmap({ hwptId: a.h, iova: a.v, length: a.len, pageSize: a.ps, noClear: a.nc }),
  })),
  fc.constant({ name: 'faultQueueAlloc', run: (w: World) => w.fd.faultQueueAlloc() }),
  fc.record({ d: fc.nat(3), h: id, type: fc.constantFrom(MK.IOMMU_VIOMMU_TYPE_SELFTEST, 0, 1), data: payload }).map((a) => ({
    name: 'viommuAlloc',
    run: (w: World) => w.fd.viommuAlloc({ devId: w.devices[a.d % Math.max(1, w.devices.length)]?.devId ?? a.d, hwptId: a.h, type: a.type, data: a.data }),
  })),
  fc.record({ v: id, d: fc.nat(3), virt: fc.bigInt({ min: 0n, max: 0x100n }) }).map((a) => ({
    name: 'vdeviceAlloc',
    run: (w: World) => w.fd.vdeviceAlloc({ viommuId: a.v, devId: w.devices[a.d % Math.max(1, w.devices.length)]?.devId ?? a.d, virtId: a.virt }),
  })),
  fc.record({ v: id, type: fc.constantFrom(MK.IOMMU_VEVENTQ_TYPE_SELFTEST, 0), depth: fc.nat(4) }).map((a) => ({
    name: 'veventqAlloc',
    run: (w: World) => w.fd.veventqAlloc({ viommuId: a.v, type: a.type, depth: a.depth }),
  })),
  fc.record({ v: id, type: fc.constantFrom(MK.IOMMU_HW_QUEUE_TYPE_SELFTEST, 0), index: fc.nat(2), base: iova, len: length }).map((a) => ({
    name: 'hwQueueAlloc',
    run: (w: World) => w.fd.hwQueueAlloc({ viommuId: a.v, type: a.type, index: a.index, nestingParentIova: a.base, length: a.len }),
  })),
  fc.record({ d: fc.nat(3), pasid: fc.constantFrom(0, 100, 1024), pt: id, op: fc.constantFrom('attach', 'replace', 'detach') }).map((a) => ({
    name: 'pasid',
    run: (w: World) => {
      const stdev = w.devices[a.d % Math.max(1, w.devices.length)]?.stdevId ?? 1;
      if (a.op === 'attach') w.mock.pasidAttach(stdev, a.pasid, a.pt);
      else if (a.op === 'replace') w.mock.pasidReplace(stdev, a.pasid, a.pt);
      else w.mock.pasidDetach(stdev, a.pasid);
    },
  })),
  fc.record({ i: id, start: iova, len: length }).map((a) => ({ name: 'addReserved', run: (w: World) => w.mock.addReserved(a.i, a.start, a.len) })),
);

async function makeWorld(): Promise<World> {
  const sys = await U.System.create();
  const fd = U.Iommufd.open(sys);
  const buffer = sys.mem.alloc(16 * 4096, 2 * 1024 * 1024);
  sys.mem.write(buffer, new Uint8Array(16 * 4096).fill(0x22));
  // Two IOASes (IDs 1, 2), a device on the first and a mapping in the second, so random
  // calls find real objects.
  fd.ioasAlloc();
  fd.ioasAlloc();
  const mock = new U.MockSelftest(fd);
  fd.ioasMap({ ioasId: 2, userAddress: buffer, length: 2n * PAGE, iova: U.MOCK_APERTURE_START });
  return { sys, fd, mock, buffer, mfd: sys.memfdCreate(4 * 4096), devices: [mock.addDevice(1)] };
}

describe('property: random typed-API sequences', () => {
  it('only IommufdError escapes, and the invariant walk holds after every call', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 30 }), async (calls) => {
        const w = await makeWorld();
        for (const c of calls) {
          try {
            c.run(w);
            note(`${c.name}-ok`);
          } catch (e) {
            if (!(e instanceof U.IommufdError)) throw e;
            expect(U.ERRNO_NAMES[e.errno]).toBe(e.code);
            note(`${c.name}-${e.code}`);
          }
          checkSystem(w.sys);
        }
        for (const fd of w.sys.openFds()) expect(w.sys.close(fd)).toBe(0);
        expect(w.sys.liveContexts()).toEqual([]);
        expect(w.sys.pool.totalPins).toBe(0);
      }),
      // A fixed seed in the default mode: the coverage check below must not depend on luck.
      { numRuns: Number(process.env.FUZZ_LONG ? 3000 : 300), ...(process.env.FUZZ_LONG ? {} : { seed: 20261121 }) },
    );
    // The runs reached success paths deep enough to mean something.
    for (const what of ['ioasMap-ok', 'ioasMapFile-ok', 'addDevice-ok', 'hwptAlloc-ok', 'ioasCopy-ok', 'ioasUnmap-ok', 'pasid-ok', 'replace-ok']) {
      expect(reached.get(what) ?? 0, `never reached ${what}: ${JSON.stringify([...reached].sort())}`).toBeGreaterThan(0);
    }
  });
});
