// The generators' own parameters, each declared once: type, range and meaning. The
// defaults are the generators' (NIC_DEFAULTS and the like), read by the scenarios in
// index.ts, which also say which parameters each generator takes (its defaults' keys).
// `run --set key=value` and `run --describe SCENARIO` read these; createScenario
// refuses a value outside them, so no generator sees a length it cannot allocate.
import { COMMON_PARAMS, type ParamSpec } from '../params.js';

const MIB = 2 ** 20;
const GIB = 2 ** 30;

const share = (meaning: string): ParamSpec => ({ type: 'number', min: 0, max: 1, meaning });

export const GENERATOR_PARAMS: Record<string, ParamSpec> = {
  // NIC rings (nic-ring.ts)
  mode: { type: 'enum', values: ['strict', 'flush-queue', 'pool'], meaning: 'strict: map, unmap and invalidate every buffer; flush-queue: one domain invalidation per flushQueueSize unmaps; pool: buffers mapped once' },
  queues: { type: 'integer', min: 1, max: 64, meaning: 'RX/TX queue pairs' },
  ringSize: { type: 'integer', min: 1, max: 16384, meaning: 'descriptors per ring' },
  packetBytes: { type: 'integer', min: 1, max: 65536, meaning: 'bytes moved per packet (NIC) or per DMA (dma-stream)' },
  bufferBytes: { type: 'integer', min: 64, max: 65536, meaning: 'bytes per packet buffer (the pool\'s stride; strict and flush-queue map one 4 KiB page per buffer)' },
  txShare: share('fraction of packets sent (TX); the rest are received'),
  flushQueueSize: { type: 'integer', min: 1, max: 65536, meaning: 'unmaps per flush-queue flush (Linux IOVA_FQ_SIZE = 256)' },
  poolBuffers: { type: 'integer', min: 1, max: 1 << 20, meaning: 'buffers in the persistent pool (pool mode)' },
  guestRamBytes: { type: 'integer', min: 16 * MIB, max: 8 * GIB, multipleOf: 2 * MIB, meaning: 'guest RAM in bytes (nested runs)' },
  // dma-stream
  rings: { type: 'integer', min: 1, max: 4096, meaning: 'interleaved sequential rings' },
  hugeBytes: { type: 'integer', min: 2 * MIB, max: 3 * GIB, multipleOf: 2 * MIB, meaning: 'bytes mapped with 2 MiB pages' },
  smallBytes: { type: 'integer', min: 4096, max: 64 * GIB, multipleOf: 4096, meaning: 'bytes mapped with 4 KiB pages' },
  // storage
  pattern: { type: 'enum', values: ['sequential', 'random'], meaning: 'where in the working set each transfer lands' },
  mapping: { type: 'enum', values: ['per-io', 'persistent'], meaning: 'per-io: each I/O mapped, unmapped and invalidated; persistent: the buffer pool mapped once' },
  transferBytes: { type: 'integer', min: 4096, max: 2 * MIB, multipleOf: 4096, meaning: 'bytes per I/O' },
  readShare: share('fraction of I/Os that are reads (the device writes memory)'),
  queueEntries: { type: 'integer', min: 1, max: 65536, meaning: 'submission/completion queue entries' },
  // random access (sva, vm, invalidation-storm)
  workingSetBytes: { type: 'integer', min: 4096, max: 4 * GIB, multipleOf: 4096, meaning: 'bytes each process, PASID, domain or device touches' },
  accessesPerStep: { type: 'integer', min: 1, max: 65536, meaning: 'random accesses per step' },
  runBytes: { type: 'integer', min: 1, max: 65536, meaning: 'bytes of each access (a short sequential run)' },
  writeShare: share('fraction of accesses that write'),
  processes: { type: 'integer', min: 1, max: 16, meaning: 'processes, each with its own PASID and page table' },
  guests: { type: 'integer', min: 1, max: 32, meaning: 'virtual machines' },
  pasidsPerGuest: { type: 'integer', min: 1, max: 64, meaning: 'guest processes (PASIDs) per VM' },
  // invalidation storm
  domains: { type: 'integer', min: 1, max: 64, meaning: 'DMA domains, one device each' },
  groups: { type: 'integer', min: 1, max: 64, meaning: 'invalidation groups the domains are spread over (at most domains)' },
  invalidationsPerStep: { type: 'integer', min: 0, max: 65536, meaning: 'invalidations per burst' },
  weights: {
    type: 'object',
    meaning: 'relative weights of range, space, group and all invalidations (--set weights.range=50)',
    fields: {
      range: { type: 'number', min: 0, max: 1e6, meaning: 'weight of range invalidations' },
      space: { type: 'number', min: 0, max: 1e6, meaning: 'weight of whole-space invalidations' },
      group: { type: 'number', min: 0, max: 1e6, meaning: 'weight of group invalidations' },
      all: { type: 'number', min: 0, max: 1e6, meaning: 'weight of invalidate-all' },
    },
  },
};

/** Every parameter of every generator, common ones first. */
export const ALL_PARAMS: Record<string, ParamSpec> = { ...COMMON_PARAMS, ...GENERATOR_PARAMS };
