// Checks on the numbers the engine hands the core, at each public entry. The core
// takes u32 and u64 arguments and JavaScript converts silently on the way in: a
// number for an i32 through ToInt32 (a fraction truncated, -1 turned into 4294967295,
// 2^32 + 5 wrapped to 5, NaN to 0), a BigInt for an i64 through BigInt.asIntN(64)
// (2^64 + x to x, -1n to all ones). A value that would be converted is refused here,
// with the argument's name, before the core sees it.
import { EngineError } from './errors.js';

const U32_MAX = 0xFFFF_FFFF;
export const U64_MAX = (1n << 64n) - 1n;

/** How a check refuses: with an EngineError of this code, or with this error (FrameStore's RangeError). */
export type Refusal = string | ((message: string) => Error);

export const RANGE_ERROR: Refusal = (message) => new RangeError(message);

function refuse(how: Refusal, message: string): never {
  throw typeof how === 'string' ? new EngineError(message, how) : how(message);
}

function shown(value: unknown): string {
  return typeof value === 'bigint' ? `${value}n` : String(value);
}

// The cheap tests the hot paths make before anything else; a failure goes to a check
// below (or refuseRequest) for the message.

/** A whole number 0..2^32-1: what a u32 parameter takes unchanged. */
export function isU32(value: number): boolean {
  return typeof value === 'number' && (value >>> 0) === value;
}

/** A whole number 0..2^64-1 given as a number (translateRaw's and Batch.set's IOVA). */
export function isU64Number(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < 2 ** 64;
}

/** Access (READ 1 | WRITE 2 | EXEC 4 | USER 8) or permission (R | W | X | U) bits. */
export function isAccessBits(value: number): boolean {
  return typeof value === 'number' && (value & 15) === value;
}

/** `value` must be a whole number in [min, max]; `what` names it ("map: space"). */
export function checkWhole(what: string, value: number, how: Refusal, min = 0, max = U32_MAX): number {
  if (!Number.isInteger(value) || value < min || value > max) refuse(how, `${what} must be a whole number ${min}..${max}, got ${shown(value)}`);
  return value;
}

/** A space id: a u32 (whether it names a live space is the core's answer). */
export function checkSpace(operation: string, space: number, name = 'space'): number {
  return checkWhole(`${operation}: ${name}`, space, 'BAD_SPACE');
}

/** Access or permission bits, named `what`. */
export function checkBits(what: string, value: number): number {
  if (!isAccessBits(value)) refuse('BAD_ARGUMENT', `${what} must be bits of 0xf (READ/R 1, WRITE/W 2, EXEC/X 4, USER/U 8), got ${shown(value)}`);
  return value;
}

/** `value` — a bigint, or a whole number — must be in [0, max]: the bigint the core gets. */
export function checkU64(what: string, value: bigint | number, how: Refusal, max = U64_MAX): bigint {
  const big = typeof value === 'bigint' ? value : Number.isInteger(value) ? BigInt(value) : undefined;
  if (big === undefined || big < 0n || big > max) {
    refuse(how, `${what} must be an integer 0..${max === U64_MAX ? '2^64-1' : `0x${max.toString(16)}`}, got ${shown(value)}`);
  }
  return big;
}

/** After a hot path's cheap test failed: the error for the first bad argument of a request. */
export function refuseRequest(operation: string, space: number, iova: number, access: number): never {
  checkSpace(operation, space);
  if (!isU64Number(iova)) refuse('BAD_RANGE', `${operation}: iova must be a whole number 0..2^64-1, got ${shown(iova)}`);
  checkBits(`${operation}: access`, access);
  throw new EngineError(`${operation}: bad request`, 'BAD_ARGUMENT');
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

export interface Region { base: bigint; limit: bigint }

/**
 * A range of pages `[base, limit)`: 4 KiB aligned, 0 <= base < limit <= top (2^paBits
 * for host memory). `name` (an option: "tableRegion") prefixes the fields' names.
 */
export function checkRegion(operation: string, name: string | undefined, region: Region, top: bigint, how: Refusal): Region {
  const field = (f: string) => `${operation}: ${name ? `${name}.` : ''}${f}`;
  const base = checkU64(field('base'), region.base, how, top - 1n);
  const limit = checkU64(field('limit'), region.limit, how, top);
  const range = `${operation}: ${name ?? 'range'} [0x${base.toString(16)}, 0x${limit.toString(16)})`;
  if ((base | limit) & 0xFFFn) refuse(how, `${range} is not 4 KiB aligned`);
  if (limit <= base) refuse(how, `${range} is empty`);
  return { base, limit };
}

/** Whether [a.base, a.limit) and [b.base, b.limit) share a byte. */
export function overlaps(a: Region, b: Region): boolean {
  return a.base < b.limit && b.base < a.limit;
}
