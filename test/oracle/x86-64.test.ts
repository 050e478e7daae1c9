import { describe, expect, it } from 'vitest';
import { Access, FaultReason as F, Perm } from '../../src/engine/types.js';
import { oracleTranslate } from '../../src/oracle/index.js';
import { fault, memoryWith, ok, PA_BITS, put, space } from './helpers.js';

const { READ, WRITE, EXEC, USER } = Access;
const { R, W, X, U } = Perm;

// iova 0x80_8060_4567: PML4 index 1, PDPT index 2, PD index 3, PT index 4, offset 0x567.
const IOVA = 0x80_8060_4567n;
const PML4 = 0x1000n;
const PDPT = 0x2000n;
const PD = 0x3000n;
const PT = 0x4000n;
const PML4E = PML4 + 1n * 8n; // 0x1008
const PDPTE = PDPT + 2n * 8n; // 0x2010
const PDE = PD + 3n * 8n; // 0x3018
const PTE = PT + 4n * 8n; // 0x4020

/** P | R/W | U/S on every level, leaf -> 0xabcde000. */
function fourLevel() {
  return memoryWith([
    [PML4E, 0x2007n],
    [PDPTE, 0x3007n],
    [PDE, 0x4007n],
    [PTE, 0xabcde007n],
  ]);
}
const s4 = space('x86-64', 4, PML4);

describe('x86-64 4-level walk', () => {
  it('translates a 4 KiB page with all permissions', () => {
    const mem = fourLevel();
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(ok(0xabcde567n, 0, R | W | X | U, 12));
    expect(mem.reads).toBe(4);
    expect(mem.writes).toBe(0);
  });

  it('ignores bits 3, 4, 8-11 and 52-62 in every entry, and PAT (bit 7) in a PTE', () => {
    const ignored = (1n << 3n) | (1n << 4n) | (0xfn << 8n) | (0x7ffn << 52n);
    const mem = memoryWith([
      [PML4E, 0x2007n | ignored],
      [PDPTE, 0x3007n | ignored],
      [PDE, 0x4007n | ignored],
      [PTE, 0xabcde087n | ignored],
    ]);
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, WRITE | USER)).toEqual(ok(0xabcde567n, 0, R | W | X | U, 12));
  });

  it('uses only the page frame of a root pointer', () => {
    const mem = fourLevel();
    expect(oracleTranslate(mem, PA_BITS, space('x86-64', 4, PML4 | 0x18n), IOVA, READ)).toEqual(ok(0xabcde567n, 0, 15, 12));
  });
});

describe('x86-64 5-level walk', () => {
  // PML5 at 0x5000; index 5 (bits 56:48) points at the same PML4.
  const PML5 = 0x5000n;
  const IOVA5 = (5n << 48n) | IOVA; // 0x0005_0080_8060_4567
  const s5 = space('x86-64', 5, PML5);

  it('translates through a fifth level', () => {
    const mem = fourLevel();
    put(mem, [[PML5 + 5n * 8n, 0x1007n]]);
    mem.resetCounters();
    expect(oracleTranslate(mem, PA_BITS, s5, IOVA5, READ)).toEqual(ok(0xabcde567n, 0, 15, 12));
    expect(mem.reads).toBe(5);
  });

  it('uses bits 56:48 as the root index', () => {
    const mem = fourLevel();
    put(mem, [[PML5 + 5n * 8n, 0x1007n]]);
    // The 4-level address has PML5 index 0, which is empty.
    expect(oracleTranslate(mem, PA_BITS, s5, IOVA, READ)).toEqual(fault(F.TRANSLATION, 1, 4, 0x5000n));
  });

  it('treats PS in a PML5 entry as reserved', () => {
    const mem = fourLevel();
    put(mem, [[PML5 + 5n * 8n, 0x1087n]]);
    expect(oracleTranslate(mem, PA_BITS, s5, IOVA5, READ)).toEqual(fault(F.RESERVED, 1, 4, 0x5028n));
  });

  it('accepts a high-half address sign-extended from bit 56 and rejects one that is not', () => {
    const mem = memoryWith([[PML5 + 256n * 8n, 0x6007n]]);
    // 0xff00_0000_0000_0000: bits 63:56 all ones, PML5 index 256; the next table is empty.
    expect(oracleTranslate(mem, PA_BITS, s5, 0xff00_0000_0000_0000n, READ)).toEqual(fault(F.EXTERNAL, 1, 3, 0x6000n));
    expect(oracleTranslate(mem, PA_BITS, s5, 0x0100_0000_0000_0000n, READ)).toEqual(fault(F.ADDRESS_SIZE, 1, 4, 0x0100_0000_0000_0000n));
    expect(oracleTranslate(mem, PA_BITS, s5, 0xfe80_0000_0000_0000n, READ)).toEqual(fault(F.ADDRESS_SIZE, 1, 4, 0xfe80_0000_0000_0000n));
  });

  it('accepts 0x0000_8000_0000_0000, which is canonical only with 57 bits', () => {
    const mem = memoryWith([[PML5, 0n]]);
    expect(oracleTranslate(mem, PA_BITS, s5, 0x8000_0000_0000n, READ)).toEqual(fault(F.TRANSLATION, 1, 4, 0x5000n));
    expect(oracleTranslate(mem, PA_BITS, s4, 0x8000_0000_0000n, READ)).toEqual(fault(F.ADDRESS_SIZE, 1, 3, 0x8000_0000_0000n));
  });
});

describe('x86-64 canonical high half (4-level)', () => {
  // 0xffff_8000_0020_1abc: PML4 index 256, PDPT 0, PD 1, PT 1, offset 0xabc.
  const HIGH = 0xffff_8000_0020_1abcn;
  const highHalf = () =>
    memoryWith([
      [PML4 + 256n * 8n, 0x6007n], // 0x1800
      [0x6000n, 0x7007n],
      [0x7008n, 0x8007n],
      [0x8008n, 0x1234_5007n],
    ]);

  it('translates a sign-extended address', () => {
    expect(oracleTranslate(highHalf(), PA_BITS, s4, HIGH, READ)).toEqual(ok(0x1234_5abcn, 0, 15, 12));
  });

  it('rejects non-canonical inputs before reading anything', () => {
    const mem = highHalf();
    for (const iova of [0x0000_8000_0000_0000n, 0xffff_7fff_ffff_f000n, 0xfffe_8000_0000_0000n, 0x8000_0000_0000_0000n]) {
      expect(oracleTranslate(mem, PA_BITS, s4, iova, READ)).toEqual(fault(F.ADDRESS_SIZE, 1, 3, iova));
    }
    expect(mem.reads).toBe(0);
  });

  it('accepts the extremes of both halves', () => {
    const mem = memoryWith([[PML4, 0n]]);
    // Index 511 (0x1ff8) and index 255 (0x17f8): both walk, both find an empty PML4 entry.
    expect(oracleTranslate(mem, PA_BITS, s4, 0xffff_ffff_ffff_ffffn, READ)).toEqual(fault(F.TRANSLATION, 1, 3, 0x1ff8n));
    expect(oracleTranslate(mem, PA_BITS, s4, 0x7fff_ffff_ffffn, READ)).toEqual(fault(F.TRANSLATION, 1, 3, 0x17f8n));
  });
});

describe('x86-64 large pages', () => {
  it('maps 2 MiB with PS in a PDE', () => {
    const mem = fourLevel();
    put(mem, [[PDE, 0x4060_0087n]]);
    // iova low 21 bits are 0x4567.
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(ok(0x4060_4567n, 1, 15, 21));
  });

  it('maps 1 GiB with PS in a PDPTE', () => {
    const mem = fourLevel();
    put(mem, [[PDPTE, 0xc000_0087n]]);
    // iova low 30 bits are 0x0060_4567.
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(ok(0xc060_4567n, 2, 15, 30));
    expect(mem.reads).toBe(2);
  });

  it('treats bit 12 of a large leaf as PAT, not as an address bit', () => {
    const mem = fourLevel();
    put(mem, [[PDE, 0x4060_1087n]]);
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(ok(0x4060_4567n, 1, 15, 21));
    put(mem, [[PDPTE, 0xc000_1087n]]);
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(ok(0xc060_4567n, 2, 15, 30));
  });

  it('treats address bits below a large page (20:13, 29:13) as reserved', () => {
    const mem = fourLevel();
    for (const lowBit of [13n, 20n]) {
      put(mem, [[PDE, 0x4060_0087n | (1n << lowBit)]]);
      expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(fault(F.RESERVED, 1, 1, PDE));
    }
    put(mem, [[PDE, 0x4007n]]);
    for (const lowBit of [13n, 21n, 29n]) {
      put(mem, [[PDPTE, 0xc000_0087n | (1n << lowBit)]]);
      expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(fault(F.RESERVED, 1, 2, PDPTE));
    }
  });

  it('treats PS in a PML4 entry as reserved', () => {
    const mem = fourLevel();
    put(mem, [[PML4E, 0x2087n]]);
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(fault(F.RESERVED, 1, 3, PML4E));
  });
});

describe('x86-64 faults', () => {
  it('reports a non-present entry at its level and address', () => {
    const cases: Array<[bigint, number]> = [[PML4E, 3], [PDPTE, 2], [PDE, 1], [PTE, 0]];
    for (const [entryAddr, level] of cases) {
      const mem = fourLevel();
      // Every bit but P set: still not present.
      put(mem, [[entryAddr, 0xffff_ffff_ffff_fffen]]);
      expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(fault(F.TRANSLATION, 1, level, entryAddr));
    }
  });

  it('reports output bits at or above paBits as reserved, in tables and leaves', () => {
    let mem = fourLevel();
    put(mem, [[PDPTE, (1n << 40n) | 0x3007n]]);
    expect(oracleTranslate(mem, 40, s4, IOVA, READ)).toEqual(fault(F.RESERVED, 1, 2, PDPTE));
    mem = fourLevel();
    put(mem, [[PTE, (1n << 51n) | 0xabcde007n]]);
    expect(oracleTranslate(mem, 40, s4, IOVA, READ)).toEqual(fault(F.RESERVED, 1, 0, PTE));
    // Bit 45 is an address bit with 46-bit physical addresses: the next table is simply unbacked.
    mem = fourLevel();
    put(mem, [[PDPTE, (1n << 45n) | 0x3007n]]);
    expect(oracleTranslate(mem, 46, s4, IOVA, READ)).toEqual(fault(F.EXTERNAL, 1, 1, 0x2000_0000_3018n));
    // Bit 52 is ignored, not an address bit.
    mem = fourLevel();
    put(mem, [[PTE, (1n << 52n) | 0xabcde007n]]);
    expect(oracleTranslate(mem, 40, s4, IOVA, READ)).toEqual(ok(0xabcde567n, 0, 15, 12));
  });

  it('reports EXTERNAL for an unbacked table at the level being read', () => {
    const mem = fourLevel();
    put(mem, [[PDE, 0x9000n | 7n]]);
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(fault(F.EXTERNAL, 1, 0, 0x9020n));
    expect(oracleTranslate(mem, PA_BITS, space('x86-64', 4, 0x7000n), IOVA, READ)).toEqual(fault(F.EXTERNAL, 1, 3, 0x7008n));
  });

  it('reports EXTERNAL for a root at or above 2^paBits even when that memory is backed', () => {
    const root = 1n << 40n;
    const mem = memoryWith([[root + 8n, 0x2007n]]);
    expect(oracleTranslate(mem, 40, space('x86-64', 4, root), IOVA, READ)).toEqual(fault(F.EXTERNAL, 1, 3, root + 8n));
    expect(mem.reads).toBe(0);
  });

  it('checks not-present before reserved, and reserved before permission', () => {
    let mem = fourLevel();
    put(mem, [[PML4E, 0x2086n | (1n << 51n)]]);
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(fault(F.TRANSLATION, 1, 3, PML4E));
    mem = fourLevel();
    put(mem, [[PTE, 0xabcde001n | (1n << 63n) | (1n << 50n)]]);
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, WRITE | USER)).toEqual(fault(F.RESERVED, 1, 0, PTE));
  });
});

describe('x86-64 permissions', () => {
  const XD = 1n << 63n;

  it('drops W when R/W is clear at any level and faults a write at the leaf level', () => {
    for (const [entryAddr, value] of [[PDPTE, 0x3005n], [PTE, 0xabcde005n]] as Array<[bigint, bigint]>) {
      const mem = fourLevel();
      put(mem, [[entryAddr, value]]);
      expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(ok(0xabcde567n, 0, R | X | U, 12));
      expect(oracleTranslate(mem, PA_BITS, s4, IOVA, WRITE)).toEqual(fault(F.PERMISSION, 1, 0, IOVA));
    }
  });

  it('drops U when U/S is clear at any level; supervisor requests ignore it', () => {
    const mem = fourLevel();
    put(mem, [[PML4E, 0x2003n]]);
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(ok(0xabcde567n, 0, R | W | X, 12));
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, WRITE)).toEqual(ok(0xabcde567n, 0, R | W | X, 12));
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ | USER)).toEqual(fault(F.PERMISSION, 1, 0, IOVA));
  });

  it('drops X when XD is set at any level', () => {
    const mem = fourLevel();
    put(mem, [[PDE, 0x4007n | XD]]);
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(ok(0xabcde567n, 0, R | W | U, 12));
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, EXEC)).toEqual(fault(F.PERMISSION, 1, 0, IOVA));
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, EXEC | USER)).toEqual(fault(F.PERMISSION, 1, 0, IOVA));
  });

  it('allows user execution when every level allows it', () => {
    expect(oracleTranslate(fourLevel(), PA_BITS, s4, IOVA, EXEC | USER)).toEqual(ok(0xabcde567n, 0, 15, 12));
  });

  it('reports a permission fault at the leaf level of a large page', () => {
    const mem = fourLevel();
    put(mem, [[PDE, 0x4060_0085n]]); // 2 MiB, read-only
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, WRITE)).toEqual(fault(F.PERMISSION, 1, 1, IOVA));
  });

  it('grants only R on a minimal entry chain', () => {
    const mem = memoryWith([
      [PML4E, 0x2001n | XD],
      [PDPTE, 0x3001n],
      [PDE, 0x4001n],
      [PTE, 0xabcde001n],
    ]);
    expect(oracleTranslate(mem, PA_BITS, s4, IOVA, READ)).toEqual(ok(0xabcde567n, 0, R, 12));
    for (const access of [WRITE, EXEC, READ | USER]) {
      expect(oracleTranslate(mem, PA_BITS, s4, IOVA, access)).toEqual(fault(F.PERMISSION, 1, 0, IOVA));
    }
  });
});

describe('x86-64 accessed and dirty flags', () => {
  const A = 1n << 5n;
  const D = 1n << 6n;
  const s4ad = space('x86-64', 4, PML4, true);

  it('sets A on every entry of a read walk and leaves D clear', () => {
    const mem = fourLevel();
    expect(oracleTranslate(mem, PA_BITS, s4ad, IOVA, READ)).toEqual(ok(0xabcde567n, 0, 15, 12));
    expect([mem.read64(PML4E), mem.read64(PDPTE), mem.read64(PDE), mem.read64(PTE)]).toEqual([0x2027n, 0x3027n, 0x4027n, 0xabcde027n]);
    expect(mem.writes).toBe(4);
  });

  it('writes nothing when every A is already set, then sets D on the leaf alone for a write', () => {
    const mem = memoryWith([
      [PML4E, 0x2027n],
      [PDPTE, 0x3027n],
      [PDE, 0x4027n],
      [PTE, 0xabcde027n],
    ]);
    oracleTranslate(mem, PA_BITS, s4ad, IOVA, READ);
    expect(mem.writes).toBe(0);
    expect(oracleTranslate(mem, PA_BITS, s4ad, IOVA, WRITE)).toEqual(ok(0xabcde567n, 0, 15, 12));
    expect(mem.writes).toBe(1);
    expect(mem.read64(PTE)).toBe(0xabcde067n);
    expect([mem.read64(PML4E), mem.read64(PDPTE), mem.read64(PDE)]).toEqual([0x2027n, 0x3027n, 0x4027n]);
    oracleTranslate(mem, PA_BITS, s4ad, IOVA, WRITE);
    expect(mem.writes).toBe(1);
  });

  it('sets A and D on a cold write walk', () => {
    const mem = fourLevel();
    oracleTranslate(mem, PA_BITS, s4ad, IOVA, WRITE);
    expect([mem.read64(PML4E), mem.read64(PDPTE), mem.read64(PDE), mem.read64(PTE)]).toEqual([0x2027n, 0x3027n, 0x4027n, 0xabcde067n]);
  });

  it('sets D on a large leaf', () => {
    const mem = fourLevel();
    put(mem, [[PDE, 0x4060_0087n]]);
    oracleTranslate(mem, PA_BITS, s4ad, IOVA, WRITE);
    expect(mem.read64(PDE)).toBe(0x4060_00e7n);
    expect(mem.read64(PTE)).toBe(0xabcde007n);
  });

  it('sets A but not D on a leaf whose write is refused', () => {
    const mem = fourLevel();
    put(mem, [[PTE, 0xabcde005n]]);
    expect(oracleTranslate(mem, PA_BITS, s4ad, IOVA, WRITE)).toEqual(fault(F.PERMISSION, 1, 0, IOVA));
    expect(mem.read64(PTE)).toBe(0xabcde025n);
  });

  it('keeps the A bits of the levels above a fault and touches nothing below', () => {
    const mem = fourLevel();
    put(mem, [[PDE, 0x4006n]]);
    expect(oracleTranslate(mem, PA_BITS, s4ad, IOVA, READ)).toEqual(fault(F.TRANSLATION, 1, 1, PDE));
    expect([mem.read64(PML4E), mem.read64(PDPTE), mem.read64(PDE), mem.read64(PTE)]).toEqual([0x2027n, 0x3027n, 0x4006n, 0xabcde007n]);
  });

  it('does not mark a reserved entry accessed', () => {
    const mem = fourLevel();
    put(mem, [[PDE, 0x4007n | (1n << 48n)]]);
    expect(oracleTranslate(mem, PA_BITS, s4ad, IOVA, READ)).toEqual(fault(F.RESERVED, 1, 1, PDE));
    expect(mem.read64(PDE)).toBe(0x4007n | (1n << 48n));
  });

  it('writes nothing when ad is off', () => {
    const mem = fourLevel();
    oracleTranslate(mem, PA_BITS, s4, IOVA, WRITE);
    expect(mem.writes).toBe(0);
    expect(mem.read64(PTE)! & (A | D)).toBe(0n);
  });
});
