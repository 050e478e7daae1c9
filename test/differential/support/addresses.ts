// Where the differential tests put things: IOVA slots per table shape, output
// addresses, guest RAM for stage-1 tables and the GPA window stage-1 leaves point into.

import { FORMAT_FACTS } from './format-facts.js';
import type { StageShape } from './layouts.js';

export const KiB4 = 0x1000n;
export const MiB2 = 0x20_0000n;
export const GiB1 = 0x4000_0000n;
export const PAGE_SIZES = [KiB4, MiB2, GiB1] as const;
const MASK64 = (1n << 64n) - 1n;

/** Host addresses single-stage leaves and stage-2 data leaves point to (never read, so never backed). */
export const HOST_DATA_BASE = 0x40_0000_0000n;
/**
 * Guest RAM holding stage-1 tables (mapped 4 KiB by 4 KiB to scattered host frames).
 * The two stage-1 spaces held at most 86 pages at once over 15,000 runs of 160 ops
 * (running out only refuses a map, which runs tolerate); few pages make the stage-2
 * ops that pick a table page hit live tables often.
 */
export const GUEST_TABLE_GPA = 0x10_0000n;
export const GUEST_TABLE_PAGES = 96;
/** The GPA window stage-1 leaves point into: four 1 GiB regions from 1 GiB. */
export const DATA_GPA_BASE = GiB1;

export function inputBits(shape: StageShape): number {
  return 12 + 9 * shape.levels;
}

/**
 * Table indices a slot may use: few per level so that mappings of different sizes
 * collide, a handful of top-level entries so several subtrees exist, and for x86-64
 * top indices 256 and 511, which are canonical high-half addresses.
 */
function indexChoices(shape: StageShape, level: number): number[] {
  if (level === shape.levels - 1) return FORMAT_FACTS[shape.format].signExtended ? [0, 1, 255, 256, 511] : [0, 1, 511];
  return [0, 1, 511];
}

/** The IOVA of the page of `1 << (12 + 9 * leafLevel)` bytes a slot names (indices below the leaf are 0). */
export function slotIova(shape: StageShape, pick: readonly number[], leafLevel: number): bigint {
  let iova = 0n;
  for (let level = shape.levels - 1; level >= leafLevel; level--) {
    const choices = indexChoices(shape, level);
    iova |= BigInt(choices[(pick[level] ?? 0) % choices.length]) << BigInt(12 + 9 * level);
  }
  return FORMAT_FACTS[shape.format].signExtended ? signExtend(iova, inputBits(shape)) : iova;
}

function signExtend(value: bigint, bits: number): bigint {
  const sign = 1n << BigInt(bits - 1);
  return value & sign ? (value | (MASK64 & ~((1n << BigInt(bits)) - 1n))) : value;
}

/** IOVAs the format refuses with ADDRESS_SIZE (x86: not canonical; vtd-ss: above the input width). */
export function outOfRangeIova(shape: StageShape, n: number): bigint {
  const bits = BigInt(inputBits(shape));
  const choices = FORMAT_FACTS[shape.format].signExtended
    ? [1n << (bits - 1n), 0x8000_0000_0000_0000n, MASK64 ^ (1n << (bits - 1n))]
    : [1n << bits, 0xffff_ffff_ffff_f000n, (1n << bits) | 0x1234n];
  return choices[n % choices.length];
}

/** An output address for a page of `size`: aligned, below 2^paBits, spread over a few pages. */
export function hostDataAddr(size: bigint, n: number): bigint {
  return HOST_DATA_BASE + BigInt(n % 8) * size;
}

/** A GPA in the data window for a page of `size`: several per 1 GiB region so stage-2 pages of every size cover some. */
export function dataGpa(size: bigint, pick: readonly number[]): bigint {
  const region = BigInt((pick[0] ?? 0) % 4) * GiB1;
  if (size === GiB1) return DATA_GPA_BASE + region;
  const twoMeg = BigInt((pick[1] ?? 0) % 3) * MiB2;
  if (size === MiB2) return DATA_GPA_BASE + region + twoMeg;
  return DATA_GPA_BASE + region + twoMeg + BigInt((pick[2] ?? 0) % 3) * KiB4;
}

export function levelOfSize(size: bigint): number {
  return size === GiB1 ? 2 : size === MiB2 ? 1 : 0;
}

export function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}
