// Plays trace records through the iommufd syscall surface instead of the engine API:
// one fresh System, one IOAS, one mock (self-test) device attached to it through a
// domain of the mock's HUGE page-table type, whose aperture is [0, 2^47): IOVAs go
// where Linux put them (the default mock domain's 16 MiB .. 2 GiB aperture is the
// self-test's, not a limit of a replay; Linux's 64-bit IOVAs on a 48-bit domain can
// lie in [2^47, 2^48), which this domain refuses with a counted EINVAL: the engine
// replay, on a 4-level x86-64 space, takes them). Every record is turned into what a
// user-space driver would do:
//
//   map        → IOMMU_IOAS_MAP with FIXED_IOVA at the record's IOVA, backed by fresh
//                process memory of the record's length (one allocation per record,
//                freed when an unmap removes the whole mapping; an untouched region
//                costs one range however long it is). A length the process address
//                space cannot hold is refused before the ioctl, with a note. The
//                record's physical address cannot be honoured in a simulated process:
//                what is reproduced is the IOVA layout, not which frames back it. Perms
//                R/W become IOMMU_IOAS_MAP_READABLE/WRITEABLE. With `touch`, the device
//                then accesses the whole mapping once (a trace without DMA records,
//                Linux ftrace, would otherwise translate nothing).
//   unmap      → IOMMU_IOAS_UNMAP of the record's range.
//   dma        → sys.dma on the mock device (the record's device id and PASID are not
//                honoured: there is one device, attached at its RID; exec is a read).
//   invalidate → counted and skipped: iommufd invalidates on unmap itself.
//
// A failing ioctl is counted by errno (an unmap of an IOVA never mapped is ENOENT)
// and the replay goes on, or with `strict` stops there.
import type { Counters } from '../engine/counters.js';
import { Perm } from '../engine/types.js';
import type { TraceRecord } from '../trace/records.js';
import { emptyCounts, type RecordCounts } from '../trace/records.js';
import {
  IOMMU_HWPT_DATA_SELFTEST, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, IOMMU_TEST_IOTLB_DEFAULT, IommuHwptSelftest, MOCK_IOMMUPT_HUGE, packStruct,
} from '../iommu/abi/index.js';
import { System, type SystemOptions } from '../host/system.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../uapi/mman.js';
import { errnoName } from '../iommu/errno.js';
import { IommufdError } from '../uapi/typed/errors.js';
import { Iommufd } from '../uapi/typed/iommufd.js';
import { MockSelftest, type MockDevice } from '../uapi/typed/selftest.js';

export interface IommufdReplayOptions {
  /** Options of the fresh System (engine options, ...). */
  systemOptions?: SystemOptions;
  /** Largest single sys.dma call; longer DMA records are split. Default 1 MiB. */
  dmaChunkBytes?: number;
  /** After each successful map, one device access of the whole mapping (write when writable). */
  touch?: boolean;
  /** Throw at the first failed ioctl instead of counting it. */
  strict?: boolean;
  /**
   * Longest map record passed to IOMMU_IOAS_MAP (default 1 GiB): the mapping pins
   * every page of its process memory, so its cost grows with its length; longer
   * records are refused before the ioctl, counted and noted.
   */
  maxMapBytes?: bigint;
}

export const DEFAULT_MAX_MAP_BYTES = 1n << 30n;

export interface IommufdReplaySummary {
  /** Records seen, by type. */
  records: RecordCounts;
  maps: { ok: number; failed: number };
  unmaps: { ok: number; failed: number; /** decimal string: bytes IOAS_UNMAP reported */ bytes: string };
  /** Failed ioctls by errno name ('ENOENT', 'EEXIST', ...). */
  ioctlFailures: Record<string, number>;
  /** Failed ioctls by command and errno name ('IOMMU_IOAS_UNMAP ENOENT'). */
  ioctlFailuresByCommand: Record<string, number>;
  /** Maps whose backing memory could not be allocated in the simulated process. */
  userMemoryFailures: number;
  /** Maps longer than `maxMapBytes`, refused before IOMMU_IOAS_MAP. */
  tooLong: number;
  dma: { ok: number; faults: number; blocked: number; bytes: number; /** records whose PASID was not honoured */ pasidIgnored: number };
  /** Device accesses the replay added after maps (`touch`). */
  touches: number;
  /** Invalidate records, skipped. */
  invalidatesSkipped: number;
  /** Distinct space ids the trace named (all go to the one IOAS). */
  spaces: number;
  /** Engine counters from after the device was attached to the end of the replay. */
  counters: Counters;
  notes: string[];
}

export interface LiveMapping {
  iova: bigint;
  length: bigint;
  /** Process address of the memory backing it. */
  userAddress: number;
}

export interface IommufdReplay {
  summary: IommufdReplaySummary;
  sys: System;
  iommufd: Iommufd;
  ioasId: number;
  device: MockDevice;
  /** Mappings the replay made and has not seen removed, by IOVA. */
  mappings: Map<bigint, LiveMapping>;
}

const NOTES = [
  'the IOVA layout is reproduced; map physical addresses are not (each map is backed by fresh process memory)',
  'invalidate records are skipped: IOMMU_IOAS_UNMAP invalidates the domain itself',
  'all spaces share one IOAS and all DMA goes to one mock device at its RID (exec is a read)',
];

/** Replays `records` on a fresh System with one IOAS and one attached mock device. */
export async function replayViaIommufd(
  records: AsyncIterable<TraceRecord> | Iterable<TraceRecord>,
  options: IommufdReplayOptions = {},
): Promise<IommufdReplay> {
  const sys = await System.create(options.systemOptions);
  const iommufd = Iommufd.open(sys);
  const ioasId = iommufd.ioasAlloc();
  const selftest = new MockSelftest(iommufd);
  const device = selftest.addDevice(ioasId);
  // The device starts on the IOAS's automatic domain; move it to one with the wide aperture.
  const hwptId = iommufd.hwptAlloc({
    devId: device.devId, ptId: ioasId, flags: 0, dataType: IOMMU_HWPT_DATA_SELFTEST,
    data: packStruct(IommuHwptSelftest, { iotlb: IOMMU_TEST_IOTLB_DEFAULT, pagetable_type: MOCK_IOMMUPT_HUGE }),
  });
  selftest.replace(device.stdevId, hwptId);
  sys.engine.resetCounters();
  const chunk = options.dmaChunkBytes ?? 1 << 20;
  const maxMapBytes = options.maxMapBytes ?? DEFAULT_MAX_MAP_BYTES;
  const mappings = new Map<bigint, LiveMapping>();
  const spaces = new Set<number>();
  let unmappedBytes = 0n;
  let zeros = new Uint8Array(0);
  const s: Omit<IommufdReplaySummary, 'counters' | 'unmaps'> & { unmaps: { ok: number; failed: number } } = {
    records: emptyCounts(),
    maps: { ok: 0, failed: 0 },
    unmaps: { ok: 0, failed: 0 },
    ioctlFailures: {},
    ioctlFailuresByCommand: {},
    userMemoryFailures: 0,
    tooLong: 0,
    dma: { ok: 0, faults: 0, blocked: 0, bytes: 0, pasidIgnored: 0 },
    invalidatesSkipped: 0,
    touches: 0,
    spaces: 0,
    notes: [...NOTES],
  };

  const failed = (e: unknown): void => {
    if (!(e instanceof IommufdError) || options.strict) throw e;
    s.ioctlFailures[e.code] = (s.ioctlFailures[e.code] ?? 0) + 1;
    const key = `${e.command} ${e.code}`;
    s.ioctlFailuresByCommand[key] = (s.ioctlFailuresByCommand[key] ?? 0) + 1;
  };

  /** One device access of [iova, iova + length), in chunks; a fault ends it. */
  const dma = (start: bigint, length: bigint, write: boolean): void => {
    for (let done = 0n; done < length;) {
      const n = Number(length - done < BigInt(chunk) ? length - done : BigInt(chunk));
      const iova = start + done;
      if (write && zeros.length < n) zeros = new Uint8Array(n);
      const r = sys.dma(device.devId, write ? { iova, write, data: zeros.subarray(0, n) } : { iova, length: n });
      if ('fault' in r) {
        s.dma.faults++;
        if (r.fault.blocked) s.dma.blocked++;
        s.dma.bytes += r.fault.done;
        return;
      }
      s.dma.bytes += n;
      done += BigInt(n);
    }
    s.dma.ok++;
  };

  for await (const record of records) {
    s.records[record.type]++;
    switch (record.type) {
      case 'map': {
        spaces.add(record.space);
        if (record.length > maxMapBytes) {
          if (options.strict) throw new RangeError(`map of ${record.length} bytes at IOVA 0x${record.iova.toString(16)} is longer than the replay's limit of ${maxMapBytes} bytes`);
          s.maps.failed++;
          if (s.tooLong++ === 0) {
            s.notes.push(
              `map of ${record.length} bytes at IOVA 0x${record.iova.toString(16)} is longer than ${maxMapBytes} bytes: IOMMU_IOAS_MAP pins every page ` +
                'of the memory behind it, so it was refused before the ioctl (raise the limit with maxMapBytes, or replay --max-map-bytes); later such maps are only counted',
            );
          }
          break;
        }
        // mmap(MAP_ANONYMOUS) of the record's length: one range of untouched pages, so
        // its cost does not grow with the length; what cannot be placed is -errno here.
        const userAddress = sys.mmap(Number(record.length), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
        if (userAddress < 0) {
          if (options.strict) throw new RangeError(`map of ${record.length} bytes at IOVA 0x${record.iova.toString(16)} does not fit in the simulated process address space (mmap: ${errnoName(userAddress)})`);
          s.maps.failed++;
          if (s.userMemoryFailures++ === 0) {
            s.notes.push(
              `map of ${record.length} bytes at IOVA 0x${record.iova.toString(16)} does not fit in the simulated process ` +
                `address space (mmap: ${errnoName(userAddress)}; user addresses end at 2^${Math.log2(sys.mem.topAddress)}): ` +
                'refused before IOMMU_IOAS_MAP; later such maps are only counted',
            );
          }
          break;
        }
        const flags = (record.perms & Perm.R ? IOMMU_IOAS_MAP_READABLE : 0) | (record.perms & Perm.W ? IOMMU_IOAS_MAP_WRITEABLE : 0);
        try {
          iommufd.ioasMap({ ioasId, iova: record.iova, userAddress, length: record.length, flags });
          mappings.set(record.iova, { iova: record.iova, length: record.length, userAddress });
          s.maps.ok++;
          if (options.touch) {
            s.touches++;
            dma(record.iova, record.length, (record.perms & Perm.W) !== 0);
          }
        } catch (e) {
          sys.mem.free(userAddress);
          s.maps.failed++;
          failed(e);
        }
        break;
      }
      case 'unmap': {
        spaces.add(record.space);
        try {
          unmappedBytes += iommufd.ioasUnmap({ ioasId, iova: record.iova, length: record.length });
          s.unmaps.ok++;
        } catch (e) {
          s.unmaps.failed++;
          failed(e);
          break;
        }
        // The process lets go of the memory of every mapping the unmap removed whole.
        const end = record.iova + record.length;
        for (const [iova, m] of mappings) {
          if (iova >= record.iova && iova + m.length <= end) {
            sys.mem.free(m.userAddress);
            mappings.delete(iova);
          }
        }
        break;
      }
      case 'invalidate':
        s.invalidatesSkipped++;
        break;
      case 'dma': {
        if (record.pasid !== undefined) s.dma.pasidIgnored++;
        dma(record.iova, record.length, record.access === 'write');
        break;
      }
    }
  }
  s.spaces = spaces.size;
  const summary: IommufdReplaySummary = {
    ...s,
    unmaps: { ...s.unmaps, bytes: unmappedBytes.toString() },
    counters: sys.engine.counters(),
  };
  return { summary, sys, iommufd, ioasId, device, mappings };
}

/** A few lines a person can read. */
export function iommufdSummaryText(summary: IommufdReplaySummary, title: string): string {
  const r = summary.records;
  const kv = (o: Record<string, number>): string =>
    Object.keys(o).length === 0 ? 'none' : Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ');
  const c = summary.counters;
  return [
    title,
    `  records      map ${r.map}, unmap ${r.unmap}, invalidate ${r.invalidate} (skipped), dma ${r.dma}`,
    `  IOAS_MAP     ok ${summary.maps.ok}, failed ${summary.maps.failed}${summary.userMemoryFailures ? ` (${summary.userMemoryFailures} without process memory)` : ''}${summary.tooLong ? ` (${summary.tooLong} longer than the limit)` : ''}`,
    `  IOAS_UNMAP   ok ${summary.unmaps.ok}, failed ${summary.unmaps.failed}, ${summary.unmaps.bytes} bytes unmapped`,
    `  ioctl errors ${kv(summary.ioctlFailuresByCommand)}`,
    `  DMA          ok ${summary.dma.ok}, faults ${summary.dma.faults} (blocked ${summary.dma.blocked}), ${summary.dma.bytes} bytes${summary.touches ? ` (${summary.touches} accesses added after maps)` : ''}`,
    `  engine       lookups ${c.lookups}, hits ${c.hits}, misses ${c.misses}, walks ${c.walks}, faults ${c.faults}, invRange ${c.invRange}`,
    ...summary.notes.map((n) => `  note: ${n}`),
  ].join('\n');
}
