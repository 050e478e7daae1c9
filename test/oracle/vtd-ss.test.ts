import { describe, expect, it } from 'vitest';
import { Access, FaultReason as F, Perm } from '../../src/engine/types.js';
import { oracleTranslate } from '../../src/oracle/index.js';
import { fault, memoryWith, ok, PA_BITS, put, space } from './helpers.js';

const { READ, WRITE, EXEC, USER } = Access;
const { R, W, X, U } = Perm;

// 3-level: iova 0x4060_4567 has L2 index 1, L1 index 3, L0 index 4, offset 0x567.
const IOVA = 0x4060_4567n;
const L2 = 0x1000n;
const L1 = 0x2000n;
const L0 = 0x3000n;
const L2E = L2 + 1n * 8n; // 0x1008
const L1E = L1 + 3n * 8n; // 0x2018
const L0E = L0 + 4n * 8n; // 0x3020

/** R | W | X on every level, leaf -> 0xabcde000. */
function threeLevel() {
  return memoryWith([
    [L2E, 0x2007n],
    [L1E, 0x3007n],
    [L0E, 0xabcde007n],
  ]);
}
const s3 = space('vtd-ss', 3, L2);

describe('vtd-ss levels and input range', () => {
  it('translates with 3 levels', () => {
    const mem = threeLevel();
    expect(oracleTranslate(mem, PA_BITS, s3, IOVA, READ)).toEqual(ok(0xabcde567n, 0, R | W | X | U, 12));
    expect(mem.reads).toBe(3);
  });

  it('translates with 4 and 5 levels', () => {
    const mem = threeLevel();
    // 4-level root 0x4000, index 2 (bits 47:39); 5-level root 0x5000, index 3 (bits 56:48).
    put(mem, [[0x4010n, 0x1007n], [0x5018n, 0x4007n]]);
    const iova4 = (2n << 39n) | IOVA;
    const iova5 = (3n << 48n) | iova4;
    expect(oracleTranslate(mem, PA_BITS, space('vtd-ss', 4, 0x4000n), iova4, READ)).toEqual(ok(0xabcde567n, 0, 15, 12));
    expect(oracleTranslate(mem, PA_BITS, space('vtd-ss', 5, 0x5000n), iova5, READ)).toEqual(ok(0xabcde567n, 0, 15, 12));
  });

  it('rejects inputs at or above 2^(12+9*levels) at the root level, before any read', () => {
    const mem = memoryWith([[L2, 0n], [0x4000n, 0n], [0x5000n, 0n]]);
    const cases: Array<[number, bigint]> = [[3, 1n << 39n], [4, 1n << 48n], [5, 1n << 57n], [3, 0xffff_ffff_ffff_f000n]];
    for (const [levels, iova] of cases) {
      expect(oracleTranslate(mem, PA_BITS, space('vtd-ss', levels, L2), iova, READ)).toEqual(fault(F.ADDRESS_SIZE, 1, levels - 1, iova));
    }
    expect(mem.reads).toBe(0);
  });

  it('walks the highest input of each size (root index 511)', () => {
    const mem = memoryWith([[L2, 0n], [0x4000n, 0n], [0x5000n, 0n]]);
    expect(oracleTranslate(mem, PA_BITS, space('vtd-ss', 3, L2), (1n << 39n) - 1n, READ)).toEqual(fault(F.TRANSLATION, 1, 2, 0x1ff8n));
    expect(oracleTranslate(mem, PA_BITS, space('vtd-ss', 4, 0x4000n), (1n << 48n) - 1n, READ)).toEqual(fault(F.TRANSLATION, 1, 3, 0x4ff8n));
    expect(oracleTranslate(mem, PA_BITS, space('vtd-ss', 5, 0x5000n), (1n << 57n) - 1n, READ)).toEqual(fault(F.TRANSLATION, 1, 4, 0x5ff8n));
  });
});

describe('vtd-ss entries', () => {
  it('treats an entry with neither R nor W as not present, whatever else is set', () => {
    const mem = threeLevel();
    put(mem, [[L1E, 0x3004n | (1n << 7n) | (1n << 51n)]]);
    expect(oracleTranslate(mem, PA_BITS, s3, IOVA, READ)).toEqual(fault(F.TRANSLATION, 1, 1, L1E));
  });

  it('treats a write-only entry as present', () => {
    const mem = threeLevel();
    put(mem, [[L0E, 0xabcde002n]]);
    expect(oracleTranslate(mem, PA_BITS, s3, IOVA, WRITE)).toEqual(ok(0xabcde567n, 0, W | U, 12));
    expect(oracleTranslate(mem, PA_BITS, s3, IOVA, READ)).toEqual(fault(F.PERMISSION, 1, 0, IOVA));
  });

  it('ignores bits 3-6, 10, 11 and 52-63, and bit 7 of a level-0 entry', () => {
    const ignored = (0xfn << 3n) | (3n << 10n) | (0xfffn << 52n);
    const mem = memoryWith([
      [L2E, 0x2007n | ignored],
      [L1E, 0x3007n | ignored],
      [L0E, 0xabcde087n | ignored],
    ]);
    expect(oracleTranslate(mem, PA_BITS, s3, IOVA, WRITE)).toEqual(ok(0xabcde567n, 0, 15, 12));
  });

  it('maps 2 MiB and 1 GiB pages', () => {
    let mem = threeLevel();
    put(mem, [[L1E, 0x4060_0087n]]);
    expect(oracleTranslate(mem, PA_BITS, s3, IOVA, READ)).toEqual(ok(0x4060_4567n, 1, 15, 21));
    mem = threeLevel();
    // A 3-level root entry may be a 1 GiB leaf. iova low 30 bits: 0x0060_4567.
    put(mem, [[L2E, 0xc000_0087n]]);
    expect(oracleTranslate(mem, PA_BITS, s3, IOVA, READ)).toEqual(ok(0xc060_4567n, 2, 15, 30));
    expect(mem.reads).toBe(1);
  });

  it('treats every address bit below a large page as reserved, bit 12 included', () => {
    const mem = threeLevel();
    for (const lowBit of [12n, 20n]) {
      put(mem, [[L1E, 0x4060_0087n | (1n << lowBit)]]);
      expect(oracleTranslate(mem, PA_BITS, s3, IOVA, READ)).toEqual(fault(F.RESERVED, 1, 1, L1E));
    }
    for (const lowBit of [12n, 29n]) {
      put(mem, [[L2E, 0xc000_0087n | (1n << lowBit)]]);
      expect(oracleTranslate(mem, PA_BITS, s3, IOVA, READ)).toEqual(fault(F.RESERVED, 1, 2, L2E));
    }
  });

  it('treats PS at level 3 or 4 as reserved', () => {
    const mem = threeLevel();
    put(mem, [[0x4010n, 0x1087n], [0x5018n, 0x4087n]]);
    const iova4 = (2n << 39n) | IOVA;
    expect(oracleTranslate(mem, PA_BITS, space('vtd-ss', 4, 0x4000n), iova4, READ)).toEqual(fault(F.RESERVED, 1, 3, 0x4010n));
    expect(oracleTranslate(mem, PA_BITS, space('vtd-ss', 5, 0x5000n), (3n << 48n) | iova4, READ)).toEqual(fault(F.RESERVED, 1, 4, 0x5018n));
  });

  it('treats address bits at or above paBits as reserved', () => {
    const mem = threeLevel();
    put(mem, [[L0E, 0xabcde007n | (1n << 40n)]]);
    expect(oracleTranslate(mem, 40, s3, IOVA, READ)).toEqual(fault(F.RESERVED, 1, 0, L0E));
    put(mem, [[L0E, 0xabcde007n | (1n << 39n)]]);
    expect(oracleTranslate(mem, 40, s3, IOVA, READ)).toEqual(ok(0x80_abcd_e567n, 0, 15, 12));
  });

  it('reports EXTERNAL for an unbacked next table', () => {
    const mem = threeLevel();
    put(mem, [[L1E, 0x8003n]]);
    expect(oracleTranslate(mem, PA_BITS, s3, IOVA, READ)).toEqual(fault(F.EXTERNAL, 1, 0, 0x8020n));
  });
});

describe('vtd-ss permissions', () => {
  it('ANDs R, W and X down the walk and always grants U', () => {
    const mem = memoryWith([
      [L2E, 0x2003n], // no X
      [L1E, 0x3007n],
      [L0E, 0xabcde005n], // no W
    ]);
    expect(oracleTranslate(mem, PA_BITS, s3, IOVA, READ | USER)).toEqual(ok(0xabcde567n, 0, R | U, 12));
    expect(oracleTranslate(mem, PA_BITS, s3, IOVA, WRITE)).toEqual(fault(F.PERMISSION, 1, 0, IOVA));
    expect(oracleTranslate(mem, PA_BITS, s3, IOVA, EXEC)).toEqual(fault(F.PERMISSION, 1, 0, IOVA));
  });

  it('drops R when a table entry is write-only', () => {
    const mem = threeLevel();
    put(mem, [[L1E, 0x3006n]]);
    expect(oracleTranslate(mem, PA_BITS, s3, IOVA, EXEC | USER)).toEqual(ok(0xabcde567n, 0, W | X | U, 12));
    expect(oracleTranslate(mem, PA_BITS, s3, IOVA, READ)).toEqual(fault(F.PERMISSION, 1, 0, IOVA));
  });
});

describe('vtd-ss accessed and dirty flags (bits 8 and 9)', () => {
  const s3ad = space('vtd-ss', 3, L2, true);

  it('sets A on a read walk and A|D on the leaf of a write', () => {
    const mem = threeLevel();
    oracleTranslate(mem, PA_BITS, s3ad, IOVA, READ);
    expect([mem.read64(L2E), mem.read64(L1E), mem.read64(L0E)]).toEqual([0x2107n, 0x3107n, 0xabcde107n]);
    mem.resetCounters();
    oracleTranslate(mem, PA_BITS, s3ad, IOVA, WRITE);
    expect([mem.read64(L2E), mem.read64(L1E), mem.read64(L0E)]).toEqual([0x2107n, 0x3107n, 0xabcde307n]);
    expect(mem.writes).toBe(1);
  });

  it('does not set D when the write is refused', () => {
    const mem = threeLevel();
    put(mem, [[L0E, 0xabcde001n]]);
    expect(oracleTranslate(mem, PA_BITS, s3ad, IOVA, WRITE)).toEqual(fault(F.PERMISSION, 1, 0, IOVA));
    expect(mem.read64(L0E)).toBe(0xabcde101n);
  });

  it('sets D on a 1 GiB leaf', () => {
    const mem = threeLevel();
    put(mem, [[L2E, 0xc000_0087n]]);
    oracleTranslate(mem, PA_BITS, s3ad, IOVA, WRITE);
    expect(mem.read64(L2E)).toBe(0xc000_0387n);
  });
});
