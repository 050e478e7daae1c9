// Deterministic event counters: what perf gates compare first. They live in Wasm
// globals, not linear memory: a counter bumped inside the walk loop must not be a
// load-store chain through memory that every later load has to wait behind. The host
// reads them after `syncCounters` copies them into the COUNTERS region, by the indices
// below (src/engine/counters.ts names them in the same order).
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

let v0: u64 = 0;
let v1: u64 = 0;
let v2: u64 = 0;
let v3: u64 = 0;
let v4: u64 = 0;
let v5: u64 = 0;
let v6: u64 = 0;
let v7: u64 = 0;
let v8: u64 = 0;
let v9: u64 = 0;
let v10: u64 = 0;
let v11: u64 = 0;
let v12: u64 = 0;
let v13: u64 = 0;
let v14: u64 = 0;
let v15: u64 = 0;
let v16: u64 = 0;
let v17: u64 = 0;
let v18: u64 = 0;
let v19: u64 = 0;
let v20: u64 = 0;
let v21: u64 = 0;
let v22: u64 = 0;
let v23: u64 = 0;
let v24: u64 = 0;
let v25: u64 = 0;
let v26: u64 = 0;
let v27: u64 = 0;
let v28: u64 = 0;
let v29: u64 = 0;
let v30: u64 = 0;
let v31: u64 = 0;
let v32: u64 = 0;
let v33: u64 = 0;
let v34: u64 = 0;
let v35: u64 = 0;
let v36: u64 = 0;

/** Adds to a counter; with a constant index the switch folds to one global update. */
@inline export function countBy(index: u32, amount: u64): void {
  switch (index) {
    case 0: v0 += amount; break;
    case 1: v1 += amount; break;
    case 2: v2 += amount; break;
    case 3: v3 += amount; break;
    case 4: v4 += amount; break;
    case 5: v5 += amount; break;
    case 6: v6 += amount; break;
    case 7: v7 += amount; break;
    case 8: v8 += amount; break;
    case 9: v9 += amount; break;
    case 10: v10 += amount; break;
    case 11: v11 += amount; break;
    case 12: v12 += amount; break;
    case 13: v13 += amount; break;
    case 14: v14 += amount; break;
    case 15: v15 += amount; break;
    case 16: v16 += amount; break;
    case 17: v17 += amount; break;
    case 18: v18 += amount; break;
    case 19: v19 += amount; break;
    case 20: v20 += amount; break;
    case 21: v21 += amount; break;
    case 22: v22 += amount; break;
    case 23: v23 += amount; break;
    case 24: v24 += amount; break;
    case 25: v25 += amount; break;
    case 26: v26 += amount; break;
    case 27: v27 += amount; break;
    case 28: v28 += amount; break;
    case 29: v29 += amount; break;
    case 30: v30 += amount; break;
    case 31: v31 += amount; break;
    case 32: v32 += amount; break;
    case 33: v33 += amount; break;
    case 34: v34 += amount; break;
    case 35: v35 += amount; break;
    case 36: v36 += amount; break;
  }
}

@inline export function count(index: u32): void { countBy(index, 1); }

/** Copies every counter into the COUNTERS region for the host to read. */
export function syncCounters(): void {
  store<u64>(countersBase, v0, 0);
  store<u64>(countersBase, v1, 8);
  store<u64>(countersBase, v2, 16);
  store<u64>(countersBase, v3, 24);
  store<u64>(countersBase, v4, 32);
  store<u64>(countersBase, v5, 40);
  store<u64>(countersBase, v6, 48);
  store<u64>(countersBase, v7, 56);
  store<u64>(countersBase, v8, 64);
  store<u64>(countersBase, v9, 72);
  store<u64>(countersBase, v10, 80);
  store<u64>(countersBase, v11, 88);
  store<u64>(countersBase, v12, 96);
  store<u64>(countersBase, v13, 104);
  store<u64>(countersBase, v14, 112);
  store<u64>(countersBase, v15, 120);
  store<u64>(countersBase, v16, 128);
  store<u64>(countersBase, v17, 136);
  store<u64>(countersBase, v18, 144);
  store<u64>(countersBase, v19, 152);
  store<u64>(countersBase, v20, 160);
  store<u64>(countersBase, v21, 168);
  store<u64>(countersBase, v22, 176);
  store<u64>(countersBase, v23, 184);
  store<u64>(countersBase, v24, 192);
  store<u64>(countersBase, v25, 200);
  store<u64>(countersBase, v26, 208);
  store<u64>(countersBase, v27, 216);
  store<u64>(countersBase, v28, 224);
  store<u64>(countersBase, v29, 232);
  store<u64>(countersBase, v30, 240);
  store<u64>(countersBase, v31, 248);
  store<u64>(countersBase, v32, 256);
  store<u64>(countersBase, v33, 264);
  store<u64>(countersBase, v34, 272);
  store<u64>(countersBase, v35, 280);
  store<u64>(countersBase, v36, 288);
}

export function resetCounters(): void {
  v0 = 0;
  v1 = 0;
  v2 = 0;
  v3 = 0;
  v4 = 0;
  v5 = 0;
  v6 = 0;
  v7 = 0;
  v8 = 0;
  v9 = 0;
  v10 = 0;
  v11 = 0;
  v12 = 0;
  v13 = 0;
  v14 = 0;
  v15 = 0;
  v16 = 0;
  v17 = 0;
  v18 = 0;
  v19 = 0;
  v20 = 0;
  v21 = 0;
  v22 = 0;
  v23 = 0;
  v24 = 0;
  v25 = 0;
  v26 = 0;
  v27 = 0;
  v28 = 0;
  v29 = 0;
  v30 = 0;
  v31 = 0;
  v32 = 0;
  v33 = 0;
  v34 = 0;
  v35 = 0;
  v36 = 0;
}

/** Walks that are not device translations (builder, inspection, stale check) run between save and restore. */
const savedCounters = memory.data(37 * 8, 8);

export function saveCounters(): void {
  store<u64>(savedCounters, v0, 0);
  store<u64>(savedCounters, v1, 8);
  store<u64>(savedCounters, v2, 16);
  store<u64>(savedCounters, v3, 24);
  store<u64>(savedCounters, v4, 32);
  store<u64>(savedCounters, v5, 40);
  store<u64>(savedCounters, v6, 48);
  store<u64>(savedCounters, v7, 56);
  store<u64>(savedCounters, v8, 64);
  store<u64>(savedCounters, v9, 72);
  store<u64>(savedCounters, v10, 80);
  store<u64>(savedCounters, v11, 88);
  store<u64>(savedCounters, v12, 96);
  store<u64>(savedCounters, v13, 104);
  store<u64>(savedCounters, v14, 112);
  store<u64>(savedCounters, v15, 120);
  store<u64>(savedCounters, v16, 128);
  store<u64>(savedCounters, v17, 136);
  store<u64>(savedCounters, v18, 144);
  store<u64>(savedCounters, v19, 152);
  store<u64>(savedCounters, v20, 160);
  store<u64>(savedCounters, v21, 168);
  store<u64>(savedCounters, v22, 176);
  store<u64>(savedCounters, v23, 184);
  store<u64>(savedCounters, v24, 192);
  store<u64>(savedCounters, v25, 200);
  store<u64>(savedCounters, v26, 208);
  store<u64>(savedCounters, v27, 216);
  store<u64>(savedCounters, v28, 224);
  store<u64>(savedCounters, v29, 232);
  store<u64>(savedCounters, v30, 240);
  store<u64>(savedCounters, v31, 248);
  store<u64>(savedCounters, v32, 256);
  store<u64>(savedCounters, v33, 264);
  store<u64>(savedCounters, v34, 272);
  store<u64>(savedCounters, v35, 280);
  store<u64>(savedCounters, v36, 288);
}

export function restoreCounters(): void {
  v0 = load<u64>(savedCounters, 0);
  v1 = load<u64>(savedCounters, 8);
  v2 = load<u64>(savedCounters, 16);
  v3 = load<u64>(savedCounters, 24);
  v4 = load<u64>(savedCounters, 32);
  v5 = load<u64>(savedCounters, 40);
  v6 = load<u64>(savedCounters, 48);
  v7 = load<u64>(savedCounters, 56);
  v8 = load<u64>(savedCounters, 64);
  v9 = load<u64>(savedCounters, 72);
  v10 = load<u64>(savedCounters, 80);
  v11 = load<u64>(savedCounters, 88);
  v12 = load<u64>(savedCounters, 96);
  v13 = load<u64>(savedCounters, 104);
  v14 = load<u64>(savedCounters, 112);
  v15 = load<u64>(savedCounters, 120);
  v16 = load<u64>(savedCounters, 128);
  v17 = load<u64>(savedCounters, 136);
  v18 = load<u64>(savedCounters, 144);
  v19 = load<u64>(savedCounters, 152);
  v20 = load<u64>(savedCounters, 160);
  v21 = load<u64>(savedCounters, 168);
  v22 = load<u64>(savedCounters, 176);
  v23 = load<u64>(savedCounters, 184);
  v24 = load<u64>(savedCounters, 192);
  v25 = load<u64>(savedCounters, 200);
  v26 = load<u64>(savedCounters, 208);
  v27 = load<u64>(savedCounters, 216);
  v28 = load<u64>(savedCounters, 224);
  v29 = load<u64>(savedCounters, 232);
  v30 = load<u64>(savedCounters, 240);
  v31 = load<u64>(savedCounters, 248);
  v32 = load<u64>(savedCounters, 256);
  v33 = load<u64>(savedCounters, 264);
  v34 = load<u64>(savedCounters, 272);
  v35 = load<u64>(savedCounters, 280);
  v36 = load<u64>(savedCounters, 288);
}
