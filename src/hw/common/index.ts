// What every hardware model shares: bit fields, the 4/8-byte MMIO register file,
// scan-free generation caches and latched event interrupts.
export * from './bits.js';
export { RegisterFile, merge, type Register } from './register-file.js';
export { GenerationCache } from './generation-cache.js';
export { LatchedInterrupt } from './latched-interrupt.js';
export { SpaceRegistry, SpacesReclaimed, type RegisteredSpace, type SpaceRegistryOptions } from './space-registry.js';
export { decoded, refused, type Decoded } from './decoded.js';
