// The fault ring: every fault (and every stale hit found by the stale-translation
// check) is appended as a 32-byte record. When the ring is full the newest record is
// dropped, as hardware sets an overflow bit rather than overwrite what the driver has
// not read: the records kept are the oldest, in order. A consumer learns of the loss
// three ways: `sequence` numbers every fault raised, so the first record after a loss
// jumps by the number lost; `faultsLost` counts every drop since creation; and the
// `faultRingOverflows` counter counts them like any event (reset with the counters).
//
//   0  u64 iova   8 u64 addr   16 u32 space
//   20 u8 reason  21 u8 stage  22 u8 level  23 u8 access   24 u32 sequence
import { faultRingBase, faultRingCapacity, FAULT_RECORD } from './layout';
import { count, C_FAULT_RING_OVERFLOWS } from './counters';

/** Records written so far (monotonic); the ring index is written % capacity. */
export let faultsWritten: u32 = 0;
/** Records consumed by the host so far. */
export let faultsConsumed: u32 = 0;
/** Faults raised so far, recorded or dropped (monotonic): the next record's sequence. */
export let faultsRaised: u32 = 0;

export function recordFault(iova: u64, addr: u64, space: u32, reason: u32, stage: u32, level: u32, access: u32): void {
  const sequence = faultsRaised++;
  if (faultsWritten - faultsConsumed >= faultRingCapacity) { count(C_FAULT_RING_OVERFLOWS); return; }
  const at = faultRingBase + <usize>(faultsWritten % faultRingCapacity) * FAULT_RECORD;
  store<u64>(at, iova);
  store<u64>(at, addr, 8);
  store<u32>(at, space, 16);
  store<u8>(at, <u8>reason, 20);
  store<u8>(at, <u8>stage, 21);
  store<u8>(at, <u8>level, 22);
  store<u8>(at, <u8>access, 23);
  store<u32>(at, sequence, 24);
  faultsWritten++;
}

/** Records dropped because the ring was full, since creation (not reset with the counters). */
export function faultsLost(): u32 { return faultsRaised - faultsWritten; }

/** The host has read `n` records. */
export function consumeFaults(n: u32): void {
  const pending = faultsWritten - faultsConsumed;
  faultsConsumed += n < pending ? n : pending;
}
