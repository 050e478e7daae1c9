// Deterministic event counters: what perf gates compare first. Each is a u64 slot
// in the COUNTERS region; TypeScript reads them by the same indices (src/engine/counters.ts).
import { countersBase } from './layout';

export const C_LOOKUPS: u32 = 0;
export const C_HITS: u32 = 1;
export const C_HITS_4K: u32 = 2;
export const C_HITS_2M: u32 = 3;
export const C_HITS_1G: u32 = 4;
export const C_HITS_OTHER: u32 = 5;
export const C_MISSES: u32 = 6;
export const C_WALKS: u32 = 7;
export const C_PTE_READS: u32 = 8;
export const C_PWC_HITS: u32 = 9;
export const C_PWC_MISSES: u32 = 10;
export const C_NESTED_TABLE_HITS: u32 = 11;
export const C_NESTED_TABLE_MISSES: u32 = 12;
export const C_STAGE2_WALKS: u32 = 13;
export const C_AD_WRITES: u32 = 14;
export const C_FAULTS: u32 = 15;
export const C_FAULT_TRANSLATION: u32 = 16;
export const C_FAULT_PERMISSION: u32 = 17;
export const C_FAULT_RESERVED: u32 = 18;
export const C_FAULT_ADDRESS_SIZE: u32 = 19;
export const C_FAULT_EXTERNAL: u32 = 20;
export const C_FAULT_RING_OVERFLOWS: u32 = 21;
export const C_INV_RANGE: u32 = 22;
export const C_INV_SPACE: u32 = 23;
export const C_INV_GROUP: u32 = 24;
export const C_INV_ALL: u32 = 25;
export const C_INV_PROBES: u32 = 26;
export const C_INV_SWEEPS: u32 = 27;
export const C_INV_DROPPED: u32 = 28;
export const C_IOTLB_FILLS: u32 = 29;
export const C_IOTLB_EVICTIONS: u32 = 30;
export const C_STALE_HITS: u32 = 31;
export const C_FRAMES_BACKED: u32 = 32;
export const C_TABLES_ALLOCATED: u32 = 33;
export const C_TABLES_FREED: u32 = 34;
export const C_PAGES_SPLIT: u32 = 35;
export const C_EPOCH_WRAPS: u32 = 36;
export const COUNTER_COUNT: u32 = 37;

@inline export function count(index: u32): void {
  const at = countersBase + (<usize>index << 3);
  store<u64>(at, load<u64>(at) + 1);
}

@inline export function countBy(index: u32, amount: u64): void {
  const at = countersBase + (<usize>index << 3);
  store<u64>(at, load<u64>(at) + amount);
}
