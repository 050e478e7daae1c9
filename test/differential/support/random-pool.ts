// Page tables made of random words: a small pool of host frames whose every word is
// random flag bits (reserved ones included) around an address that mostly points
// back into the pool, sometimes at unbacked memory, at a large-page-aligned address
// or above the physical width. Deterministic from a seed, so a failure replays.

import type { Engine } from '../../../src/engine/engine.js';
import { spaceRef, type SpaceRef, type World } from './world.js';
import type { Layout } from './layouts.js';

export const POOL_BASE = 0x8000_0000n; // 1 GiB aligned: pool addresses make some large leaves valid
export const POOL_FRAMES = 12;

/** mulberry32: small, fast, and good enough to pick bits. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function bits(random: () => number, count: number): bigint {
  let out = 0n;
  for (let done = 0; done < count; done += 32) out = (out << 32n) | BigInt(Math.floor(random() * 2 ** 32));
  return out & ((1n << BigInt(count)) - 1n);
}

export function poolFrame(n: number): bigint {
  return POOL_BASE + BigInt(n % POOL_FRAMES) * 0x1000n;
}

/** One random entry word (see the file comment). */
export function randomWord(random: () => number, paBits: number): bigint {
  // P (x86) / R (vtd-ss) usually set; PS sometimes; the other low bits anything.
  let flags = bits(random, 12) & ~0x81n;
  if (random() < 0.85) flags |= 1n;
  if (random() < 0.15) flags |= 0x80n;
  const u = random();
  let address: bigint;
  if (u < 0.75) address = poolFrame(Math.floor(random() * POOL_FRAMES));
  else if (u < 0.87) address = POOL_BASE + BigInt(Math.floor(random() * 2)) * 0x20_0000n;
  else if (u < 0.94) address = bits(random, paBits) & ~0xfffn;
  else if (u < 0.97) address = (bits(random, 52) | (1n << BigInt(paBits))) & ~0xfffn;
  else address = bits(random, 52) & ~0xfffn;
  const high = random() < 0.5 ? 0n : bits(random, 12) << 52n;
  return high | address | flags;
}

export function fillPool(engine: Engine, seed: number): void {
  const random = prng(seed);
  for (let frame = 0; frame < POOL_FRAMES; frame++) {
    for (let word = 0n; word < 512n; word++) engine.phys.write64(poolFrame(frame) + word * 8n, randomWord(random, engine.paBits));
  }
}

/**
 * Guest-maintained spaces over the pool: two of the layout's stage-1 shape with
 * roots in the pool; nested, a parent whose root is the pool's first frame and
 * stage-1 roots that are pool addresses taken as GPAs.
 */
export function randomTablesWorld(engine: Engine, layout: Layout, ad: boolean, seed: number): World {
  fillPool(engine, seed);
  const world: World = { engine, paBits: engine.paBits, ad, spaces: [], tablePages: [] };
  let parent: SpaceRef | undefined;
  if (layout.parent) {
    if (seed % 2 === 0) mapPoolOneToOne(engine, layout.parent.levels);
    const id = engine.createSpace({ ...layout.parent, root: POOL_BASE, group: 2, ad });
    parent = spaceRef(engine, id, layout.parent, 2, ad);
    world.parent = parent;
  }
  for (let i = 0; i < 2; i++) {
    const root = poolFrame(seed + 5 * i + 1);
    const id = engine.createSpace({ ...layout.stage1, root, group: 1, ad, ...(parent ? { parent: parent.id } : {}) });
    world.spaces.push(spaceRef(engine, id, layout.stage1, 1, ad, parent?.desc));
  }
  return world;
}

/**
 * Random parents seldom translate enough GPAs for a stage-1 walk to get far, so half
 * the seeds overwrite the parent's path for the pool's GPAs: tables through pool
 * frames 1 and 2 down to a 2 MiB leaf mapping them one to one (the same bits encode
 * that in both formats: R|W|X = P|R/W|U/S, plus PS). Every other
 * word stays random (frames 1 and 2 are read as stage-1 tables too).
 */
function mapPoolOneToOne(engine: Engine, levels: number): void {
  const index = (level: number) => (POOL_BASE >> BigInt(12 + 9 * level)) & 511n;
  const table = (pa: bigint) => pa | 0b111n;
  let at = POOL_BASE;
  for (let level = levels - 1; level > 1; level--) {
    const next = poolFrame(levels - level);
    engine.phys.write64(at + index(level) * 8n, table(next));
    at = next;
  }
  engine.phys.write64(at + index(1) * 8n, POOL_BASE | 0x87n);
}
