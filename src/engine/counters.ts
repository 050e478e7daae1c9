// Names of the core's counter slots, in slot order (assembly/counters.ts).
export const COUNTER_NAMES = [
  'lookups', 'hits', 'hits4K', 'hits2M', 'hits1G', 'hitsOther', 'misses', 'walks', 'pteReads',
  'walkCacheHits', 'walkCacheMisses', 'nestedTableHits', 'nestedTableMisses', 'stage2Walks', 'adWrites',
  'faults', 'faultTranslation', 'faultPermission', 'faultReserved', 'faultAddressSize', 'faultExternal',
  'faultRingOverflows', 'invRange', 'invSpace', 'invGroup', 'invAll', 'invProbes', 'invSweeps',
  'invDropped', 'iotlbFills', 'iotlbEvictions', 'staleHits', 'framesBacked', 'tablesAllocated',
  'tablesFreed', 'pagesSplit', 'epochWraps',
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];
export type Counters = Record<CounterName, number>;
