// Engine.create's checks on the numbers it hands the core. The core takes u32
// arguments: a value Wasm would convert silently (a fraction truncated, -1 turned
// into 4294967295, 2^33 wrapped to 0) must be refused here with the option's name.
import { EngineError } from './errors.js';

const U32_MAX = 0xFFFF_FFFF;

/** `value` must be a whole number in [min, 2^32 - 1]. */
export function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min || value > U32_MAX) {
    throw new EngineError(`Engine.create: ${name} must be a whole number ${min}..${U32_MAX}, got ${value}`, 'BAD_GEOMETRY');
  }
}

/** Frames of simulated memory for `physMemBytes` (a byte count, rounded up to 4 KiB). */
export function framesFor(physMemBytes: number): number {
  if (!Number.isFinite(physMemBytes) || physMemBytes < 0) {
    throw new EngineError(`Engine.create: physMemBytes must be a byte count >= 0, got ${physMemBytes}`, 'BAD_GEOMETRY');
  }
  const frames = Math.ceil(physMemBytes / 4096);
  // Past 2^32 frames the count itself does not fit the core's argument; far below
  // that the layout does not fit 4 GiB and the core says so.
  if (frames > U32_MAX) throw new EngineError(`Engine.create: physMemBytes ${physMemBytes} does not fit in 4 GiB of Wasm memory`, 'NO_MEMORY');
  return frames;
}
