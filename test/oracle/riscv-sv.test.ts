// RISC-V Sv39/Sv48 walks derived by hand from the privileged spec's translation
// process (docs/formats.md "RISC-V"), each checked on the oracle and on the engine
// over the same hand-built tables.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { Access, FaultReason as F, Perm, type Translation } from '../../src/engine/types.js';
import { oracleLeafEntry, oracleTranslate } from '../../src/oracle/index.js';
import { fault, memoryWith, ok, PA_BITS, space } from './helpers.js';

const { READ, WRITE, EXEC, USER } = Access;
const { R, W, X, U } = Perm;
const V = 1n;
const PR = 2n;
const PW = 4n;
const PX = 8n;
const PU = 0x10n;
const A = 0x40n;
const D = 0x80n;
/** An entry naming address `pa` with the given low bits. */
const pte = (pa: bigint, bits: bigint) => ((pa >> 12n) << 10n) | bits;

// Sv39, iova 0x6010_3567: VPN[2] = 1, VPN[1] = 0x100, VPN[0] = 0x103, offset 0x567.
const IOVA = 0x6010_3567n;
const ROOT = 0x1000n;
const L1 = 0x2000n;
const L0 = 0x3000n;
const E2 = ROOT + 1n * 8n;
const E1 = L1 + 0x100n * 8n;
const E0 = L0 + 0x103n * 8n;

function tables(leaf: bigint, extra: Array<[bigint, bigint]> = []): Array<[bigint, bigint]> {
  return [[E2, pte(L1, V)], [E1, pte(L0, V)], [E0, leaf], ...extra];
}

/** The oracle and the engine over the same words must both give `want`. */
async function agree(words: Array<[bigint, bigint]>, levels: number, iova: bigint, access: number, want: Translation): Promise<void> {
  expect(oracleTranslate(memoryWith(words), PA_BITS, space('riscv-sv', levels, ROOT), iova, access)).toEqual(want);
  const e = await Engine.create({ paBits: PA_BITS, physMemBytes: 4 << 20 });
  for (const [addr, value] of words) e.phys.write64(addr, value);
  const id = e.createSpace({ format: 'riscv-sv', levels, root: ROOT });
  const got = e.walk(id, iova, access);
  expect(got).toEqual(want);
}

describe('riscv-sv (Sv39/Sv48)', () => {
  it('translates a 4 KiB page with the leaf\'s permissions only (table entries grant everything)', async () => {
    await agree(tables(pte(0xabcde000n, V | PR | PW | PU | A | D)), 3, IOVA, WRITE | USER, ok(0xabcde567n, 0, R | W | U, 12));
    await agree(tables(pte(0xabcde000n, V | PR | PX | A)), 3, IOVA, EXEC, ok(0xabcde567n, 0, R | X, 12));
  });

  it('refuses what the leaf does not grant: W, X and U', async () => {
    const words = tables(pte(0xabcde000n, V | PR));
    await agree(words, 3, IOVA, WRITE, fault(F.PERMISSION, 1, 0, IOVA));
    await agree(words, 3, IOVA, EXEC, fault(F.PERMISSION, 1, 0, IOVA));
    await agree(words, 3, IOVA, READ | USER, fault(F.PERMISSION, 1, 0, IOVA));
  });

  it('reads a leaf at any level: 2 MiB at level 1, a 512 GiB page at Sv48\'s level 3', async () => {
    await agree([[E2, pte(L1, V)], [E1, pte(0x4000_0000n, V | PR | A)]], 3, IOVA, READ, ok(0x4000_0000n + (IOVA & 0x1f_ffffn), 1, R, 21));
    // Sv48: VPN[3] of 0x6010_3567 is 0; a leaf there maps the whole 512 GiB.
    await agree([[ROOT, pte(0x80_0000_0000n, V | PR | PW | A)]], 4, IOVA, READ, ok(0x80_0000_0000n + IOVA, 3, R | W, 39));
  });

  it('faults V = 0 as not present, with the level and entry address', async () => {
    await agree([[E2, pte(L1, V)], [E1, pte(L0, 0n)]], 3, IOVA, READ, fault(F.TRANSLATION, 1, 1, E1));
  });

  it.each([
    ['W without R', pte(0xabcde000n, V | PW)],
    ['W and X without R', pte(0xabcde000n, V | PW | PX)],
    ['a pointer at the last level', pte(0xabcde000n, V)],
    ['N (Svnapot, not modelled)', pte(0xabcde000n, V | PR) | (1n << 63n)],
    ['PBMT (Svpbmt, not modelled)', pte(0xabcde000n, V | PR) | (1n << 61n)],
    ['a reserved bit 54', pte(0xabcde000n, V | PR) | (1n << 54n)],
    ['an output address at 2^paBits', pte(1n << 40n, V | PR)],
  ])('reads %s as RESERVED', async (_what, leaf) => {
    await agree(tables(leaf), 3, IOVA, READ, fault(F.RESERVED, 1, 0, E0));
  });

  it('reads a misaligned superpage as RESERVED', async () => {
    await agree([[E2, pte(L1, V)], [E1, pte(0x4000_1000n, V | PR)]], 3, IOVA, READ, fault(F.RESERVED, 1, 1, E1));
  });

  it('requires the input sign-extended from bit 38 (Sv39) or 47 (Sv48)', async () => {
    await agree(tables(pte(0xabcde000n, V | PR)), 3, 0x80_0000_0000n, READ, fault(F.ADDRESS_SIZE, 1, 2, 0x80_0000_0000n));
    // The upper half: bit 38 set and copied up to 63 indexes VPN[2] = 256.
    const upper = 0xffff_ffc0_0000_0567n;
    const words: Array<[bigint, bigint]> = [[ROOT + 256n * 8n, pte(L1, V)], [L1, pte(L0, V)], [L0, pte(0x5000n, V | PR | A)]];
    await agree(words, 3, upper, READ, ok(0x5567n, 0, R, 12));
    await agree(tables(pte(0xabcde000n, V | PR)), 4, 0x8000_0000_0000n, READ, fault(F.ADDRESS_SIZE, 1, 3, 0x8000_0000_0000n));
  });

  it('with A/D on, sets A and D on the leaf only', async () => {
    const mem = memoryWith(tables(pte(0xabcde000n, V | PR | PW)));
    const s = space('riscv-sv', 3, ROOT, true);
    expect(oracleTranslate(mem, PA_BITS, s, IOVA, WRITE)).toEqual(ok(0xabcde567n, 0, R | W, 12));
    expect(mem.read64(E0)! & (A | D)).toBe(A | D);
    expect(mem.read64(E1)! & (A | D)).toBe(0n);
    expect(mem.read64(E2)! & (A | D)).toBe(0n);
    const e = await Engine.create({ paBits: PA_BITS, physMemBytes: 4 << 20 });
    for (const [addr, value] of tables(pte(0xabcde000n, V | PR | PW))) e.phys.write64(addr, value);
    const id = e.createSpace({ format: 'riscv-sv', levels: 3, root: ROOT, ad: true });
    expect(e.translate(id, IOVA, WRITE).fault).toBe(0);
    expect([E2, E1, E0].map((at) => e.phys.read64(at)! & (A | D))).toEqual([0n, 0n, A | D]);
  });
});

describe('riscv-sv without hardware A/D update (ad off)', () => {
  it('faults ACCESS_FLAG on a leaf with A clear, and on a write to a leaf with D clear, after PERMISSION', async () => {
    await agree(tables(pte(0xabcde000n, V | PR | PW)), 3, IOVA, READ, fault(F.ACCESS_FLAG, 1, 0, IOVA));
    await agree(tables(pte(0xabcde000n, V | PR | PW | A)), 3, IOVA, READ, ok(0xabcde567n, 0, R | W, 12));
    await agree(tables(pte(0xabcde000n, V | PR | PW | A)), 3, IOVA, WRITE, fault(F.ACCESS_FLAG, 1, 0, IOVA));
    await agree(tables(pte(0xabcde000n, V | PR | PW | A | D)), 3, IOVA, WRITE, ok(0xabcde567n, 0, R | W, 12));
    // PERMISSION is checked first.
    await agree(tables(pte(0xabcde000n, V | PR)), 3, IOVA, WRITE, fault(F.PERMISSION, 1, 0, IOVA));
  });

  it('a read cached from a clean leaf does not let a later write past its clear D', async () => {
    const e = await Engine.create({ paBits: PA_BITS, physMemBytes: 4 << 20 });
    for (const [addr, value] of tables(pte(0xabcde000n, V | PR | PW | A))) e.phys.write64(addr, value);
    const id = e.createSpace({ format: 'riscv-sv', levels: 3, root: ROOT });
    expect(e.translate(id, IOVA, READ).fault).toBe(0);
    expect(e.translate(id, IOVA, WRITE)).toMatchObject({ fault: F.ACCESS_FLAG, level: 0 });
  });

  it('the builder writes A, and D on writable leaves, only when the space cannot set them', async () => {
    const e = await Engine.create({ physMemBytes: 4 << 20 });
    const off = e.createSpace({ format: 'riscv-sv', levels: 3 });
    const on = e.createSpace({ format: 'riscv-sv', levels: 3, ad: true });
    for (const id of [off, on]) {
      e.map(id, 0x1000n, 0x10_0000n, 0x1000n, R | W);
      e.map(id, 0x2000n, 0x20_0000n, 0x1000n, R);
    }
    const bits = (id: number, iova: bigint) => e.leafEntry(id, iova).value & (A | D);
    expect([bits(off, 0x1000n), bits(off, 0x2000n)]).toEqual([A | D, A]);
    expect([bits(on, 0x1000n), bits(on, 0x2000n)]).toEqual([A, A]);
    // Both translate writes; only the ad-on space marks the page dirty itself.
    expect(e.translate(off, 0x1000n, WRITE).fault).toBe(0);
    expect(e.translate(on, 0x1000n, WRITE).fault).toBe(0);
    expect(bits(on, 0x1000n)).toBe(A | D);
  });

  it('a leaf lookup asks for no access, so A and D clear are no fault there (leafEntry, dirty reads)', async () => {
    const words = tables(pte(0xabcde000n, V | PR | PW));
    expect(oracleLeafEntry(memoryWith(words), PA_BITS, space('riscv-sv', 3, ROOT), IOVA)).toMatchObject({ fault: 0, level: 0, addr: E0 });
    const e = await Engine.create({ paBits: PA_BITS, physMemBytes: 4 << 20 });
    for (const [addr, value] of words) e.phys.write64(addr, value);
    const id = e.createSpace({ format: 'riscv-sv', levels: 3, root: ROOT });
    expect(e.leafEntry(id, IOVA)).toMatchObject({ fault: 0, level: 0, addr: E0 });
    expect(e.translate(id, IOVA, READ).fault).toBe(F.ACCESS_FLAG);
  });
});
