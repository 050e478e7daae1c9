// Plays trace records through the iommufd syscall surface instead of the engine API:
// one fresh System, one IOAS, one mock (self-test) device attached to it, every record
// turned into what a user-space driver would do (issue 5: an imported ftrace drives an
// IOAS).
//
//   map        → IOMMU_IOAS_MAP with FIXED_IOVA at the record's IOVA, backed by fresh
//                process memory of the record's length (one allocation per record,
//                freed when an unmap removes the whole mapping; an untouched region
//                costs one range however long it is). A length the process address
//                space cannot hold is refused before the ioctl, with a note. The record's physical
//                address cannot be honoured in a simulated process: what is reproduced
//                is the IOVA layout, not which frames back it. Perms R/W become
//                IOMMU_IOAS_MAP_READABLE/WRITEABLE.
//   unmap      → IOMMU_IOAS_UNMAP of the record's range.
//   dma        → sys.dma on the mock device (the record's device id and PASID are not
//                honoured: there is one device, attached at its RID; exec is a read).
//   invalidate → counted and skipped: iommufd invalidates on unmap itself.
//
// A failing ioctl is counted by errno (an unmap of an IOVA never mapped is ENOENT)
// and the replay goes on. The mock domain's aperture is [MOCK_APERTURE_START,
// MOCK_APERTURE_LAST] (16 MiB .. 2 GiB): IOVAs of a real trace outside it fail too.
import type { Counters } from '../engine/counters.js';
import { Perm } from '../engine/types.js';
import type { TraceRecord } from '../trace/records.js';
import { emptyCounts, type RecordCounts } from '../trace/records.js';
import { IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE } from '../iommu/abi/index.js';
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
}

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
  dma: { ok: number; faults: number; blocked: number; bytes: number; /** records whose PASID was not honoured */ pasidIgnored: number };
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
  const device = new MockSelftest(iommufd).addDevice(ioasId);
  sys.engine.resetCounters();
  const chunk = options.dmaChunkBytes ?? 1 << 20;
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
    dma: { ok: 0, faults: 0, blocked: 0, bytes: 0, pasidIgnored: 0 },
    invalidatesSkipped: 0,
    spaces: 0,
    notes: [...NOTES],
  };

  const failed = (e: unknown): void => {
    if (!(e instanceof IommufdError)) throw e;
    s.ioctlFailures[e.code] = (s.ioctlFailures[e.code] ?? 0) + 1;
    const key = `${e.command} ${e.code}`;
    s.ioctlFailuresByCommand[key] = (s.ioctlFailuresByCommand[key] ?? 0) + 1;
  };

  for await (const record of records) {
    s.records[record.type]++;
    switch (record.type) {
      case 'map': {
        spaces.add(record.space);
        // mmap(MAP_ANONYMOUS) of the record's length: one range of untouched pages, so
        // its cost does not grow with the length; what cannot be placed is -errno here.
        const userAddress = sys.mmap(Number(record.length), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
        if (userAddress < 0) {
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
        const write = record.access === 'write';
        let done = 0n;
        let fault = false;
        while (done < record.length) {
          const n = Number(record.length - done < BigInt(chunk) ? record.length - done : BigInt(chunk));
          const iova = record.iova + done;
          if (write && zeros.length < n) zeros = new Uint8Array(n);
          const r = sys.dma(device.devId, write ? { iova, write, data: zeros.subarray(0, n) } : { iova, length: n });
          if ('fault' in r) {
            s.dma.faults++;
            if (r.fault.blocked) s.dma.blocked++;
            s.dma.bytes += r.fault.done;
            fault = true;
            break;
          }
          s.dma.bytes += n;
          done += BigInt(n);
        }
        if (!fault) s.dma.ok++;
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
    `  IOAS_MAP     ok ${summary.maps.ok}, failed ${summary.maps.failed}${summary.userMemoryFailures ? ` (${summary.userMemoryFailures} without process memory)` : ''}`,
    `  IOAS_UNMAP   ok ${summary.unmaps.ok}, failed ${summary.unmaps.failed}, ${summary.unmaps.bytes} bytes unmapped`,
    `  ioctl errors ${kv(summary.ioctlFailuresByCommand)}`,
    `  DMA          ok ${summary.dma.ok}, faults ${summary.dma.faults} (blocked ${summary.dma.blocked}), ${summary.dma.bytes} bytes`,
    `  engine       lookups ${c.lookups}, hits ${c.hits}, misses ${c.misses}, walks ${c.walks}, faults ${c.faults}, invRange ${c.invRange}`,
    ...summary.notes.map((n) => `  note: ${n}`),
  ].join('\n');
}
