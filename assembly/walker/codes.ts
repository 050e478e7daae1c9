// Fault reasons, access bits and walk flags shared by the walker and its callers
// (values mirror src/engine/types.ts).
export const REASON_TRANSLATION: u32 = 1;
export const REASON_PERMISSION: u32 = 2;
export const REASON_RESERVED: u32 = 3;
export const REASON_ADDRESS_SIZE: u32 = 4;
export const REASON_EXTERNAL: u32 = 5;
/** 6 is the fault ring's stale hit (translate.ts); 7 and 8 are statuses (no such space, a nested space). */
export const REASON_ACCESS_FLAG: u32 = 9;

export const ACCESS_READ: u32 = 1;
export const ACCESS_WRITE: u32 = 2;
export const ACCESS_USER: u32 = 8;

/** Walk flags: use the walk caches and the nested table cache; write A/D bits. */
export const WALK_CACHES: u32 = 1;
export const WALK_WRITE_AD: u32 = 2;
