import { describe, expect, it } from 'vitest';
import { Access, FaultReason as F, Perm, type FormatName } from '../../src/engine/types.js';
import { oracleTranslate } from '../../src/oracle/index.js';
import { fault, memoryWith, ok, PA_BITS, put, space } from './helpers.js';

const { READ, WRITE, EXEC, USER } = Access;
const { R, W, X, U } = Perm;

// Stage 1: x86-64 4-level, tables at GPAs 0x1000..0x4000, iova 0x80_8060_4567
// (indices 1, 2, 3, 4) -> GPA 0x5567.
// Stage 2: 4 levels at HPA 0x100000..0x103000; GPA page n (n < 512) is L0 entry n.
// Entries of the form `addr | 7` mean "everything allowed" in both formats
// (x86-64: P, R/W, U/S, XD clear; vtd-ss: R, W, X), so the same tables serve
// either parent format.
const IOVA = 0x80_8060_4567n;
const S1_ROOT_GPA = 0x1000n;
const S2_ROOT = 0x100000n;
const S2_L0 = 0x103000n;
const s2Entry = (gpaPage: bigint) => S2_L0 + (gpaPage >> 12n) * 8n;

function nestedTables() {
  return memoryWith([
    // stage 2
    [0x100000n, 0x101007n],
    [0x101000n, 0x102007n],
    [0x102000n, 0x103007n],
    [s2Entry(0x1000n), 0x201007n], // 0x103008
    [s2Entry(0x2000n), 0x202007n], // 0x103010
    [s2Entry(0x3000n), 0x203007n], // 0x103018
    [s2Entry(0x4000n), 0x204007n], // 0x103020
    [s2Entry(0x5000n), 0x305007n], // 0x103028
    // stage 1, at the HPAs of their GPAs
    [0x201008n, 0x2007n], // GPA 0x1008
    [0x202010n, 0x3007n], // GPA 0x2010
    [0x203018n, 0x4007n], // GPA 0x3018
    [0x204020n, 0x5007n], // GPA 0x4020
  ]);
}

function nestedSpace(parentFormat: FormatName, opts: { ad?: boolean; parentAd?: boolean; s1Format?: FormatName; root?: bigint } = {}) {
  const parent = space(parentFormat, 4, S2_ROOT, opts.parentAd ?? false);
  return space(opts.s1Format ?? 'x86-64', 4, opts.root ?? S1_ROOT_GPA, opts.ad ?? false, parent);
}

describe.each(['vtd-ss', 'x86-64'] as const)('nested x86-64 over %s', (parentFormat) => {
  const nested = nestedSpace(parentFormat);

  it('translates and reads exactly 24 entries on a cold 4x4 walk', () => {
    const mem = nestedTables();
    expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ)).toEqual(ok(0x305567n, 0, R | W | X | U, 12));
    expect(mem.reads).toBe(24);
    expect(mem.writes).toBe(0);
  });

  it('reads 29 entries for 5 stage-1 levels over 4', () => {
    const mem = nestedTables();
    // 5-level root at GPA 0x6000 (HPA 0x206000), index 5 -> the 4-level root GPA.
    put(mem, [[s2Entry(0x6000n), 0x206007n], [0x206028n, 0x1007n]]);
    mem.resetCounters();
    const s = { ...nested, levels: 5, root: 0x6000n };
    expect(oracleTranslate(mem, PA_BITS, s, (5n << 48n) | IOVA, READ)).toEqual(ok(0x305567n, 0, 15, 12));
    expect(mem.reads).toBe(29);
  });

  it('reports a stage-2 miss on a stage-1 table as stage 2, the parent level, the entry GPA', () => {
    let mem = nestedTables();
    put(mem, [[s2Entry(0x3000n), 0n]]);
    expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ)).toEqual(fault(F.TRANSLATION, 2, 0, 0x3018n));
    mem = nestedTables();
    put(mem, [[0x102000n, 0n]]);
    expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ)).toEqual(fault(F.TRANSLATION, 2, 1, 0x1008n));
  });

  it('reports a stage-2 miss on the output GPA with the full GPA', () => {
    const mem = nestedTables();
    put(mem, [[s2Entry(0x5000n), 0n]]);
    expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ)).toEqual(fault(F.TRANSLATION, 2, 0, 0x5567n));
  });

  it('reports stage-2 RESERVED and EXTERNAL with the GPA being translated', () => {
    let mem = nestedTables();
    put(mem, [[s2Entry(0x2000n), 0x202007n | (1n << 45n)]]);
    expect(oracleTranslate(mem, 40, nested, IOVA, READ)).toEqual(fault(F.RESERVED, 2, 0, 0x2010n));
    mem = nestedTables();
    put(mem, [[0x102000n, 0x900007n]]); // stage-2 L0 table unbacked
    expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ)).toEqual(fault(F.EXTERNAL, 2, 0, 0x1008n));
  });

  it('reports a stage-1 root GPA outside the parent input range as stage-2 ADDRESS_SIZE', () => {
    const root = 1n << 48n;
    expect(oracleTranslate(nestedTables(), PA_BITS, { ...nested, root }, IOVA, READ)).toEqual(fault(F.ADDRESS_SIZE, 2, 3, root + 8n));
  });

  it('reports stage-1 TRANSLATION, RESERVED and EXTERNAL with the entry GPA', () => {
    let mem = nestedTables();
    put(mem, [[0x202010n, 0n]]);
    expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ)).toEqual(fault(F.TRANSLATION, 1, 2, 0x2010n));
    mem = nestedTables();
    put(mem, [[0x203018n, 0x20_2087n]]); // 2 MiB leaf with bit 13 set
    expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ)).toEqual(fault(F.RESERVED, 1, 1, 0x3018n));
    mem = nestedTables();
    put(mem, [[s2Entry(0x4000n), 0x9000_0007n]]); // GPA 0x4000 -> unbacked HPA
    expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ)).toEqual(fault(F.EXTERNAL, 1, 0, 0x4020n));
  });

  it('checks the stage-1 input range before any read', () => {
    const mem = nestedTables();
    expect(oracleTranslate(mem, PA_BITS, nested, 0x8000_0000_0000n, READ)).toEqual(fault(F.ADDRESS_SIZE, 1, 3, 0x8000_0000_0000n));
    expect(mem.reads).toBe(0);
  });

  it('faults a stage-1 permission at stage 1 without walking the output through stage 2', () => {
    const mem = nestedTables();
    put(mem, [[0x204020n, 0x5005n]]); // read-only at stage 1
    mem.resetCounters();
    expect(oracleTranslate(mem, PA_BITS, nested, IOVA, WRITE)).toEqual(fault(F.PERMISSION, 1, 0, IOVA));
    expect(mem.reads).toBe(20);
  });

  it('takes U from stage 1 only', () => {
    const mem = nestedTables();
    put(mem, [[0x204020n, 0x5003n]]); // U/S clear at stage 1
    expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ)).toEqual(ok(0x305567n, 0, R | W | X, 12));
    expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ | USER)).toEqual(fault(F.PERMISSION, 1, 0, IOVA));
  });

  describe('page size is the smaller leaf; level is the stage-1 leaf level', () => {
    it('2 MiB over 2 MiB', () => {
      const mem = nestedTables();
      // Stage 1 2 MiB leaf -> GPA 0x200000 + 0x4567; stage 2 L1 index 1 is a 2 MiB leaf at HPA 0x400000.
      put(mem, [[0x203018n, 0x20_0087n], [0x102008n, 0x40_0087n]]);
      expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ)).toEqual(ok(0x40_4567n, 1, 15, 21));
    });

    it('2 MiB over 4 KiB', () => {
      const mem = nestedTables();
      put(mem, [[0x203018n, 0x20_0087n], [0x102008n, 0x104007n], [0x104020n, 0x50_4007n]]);
      expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ)).toEqual(ok(0x50_4567n, 1, 15, 12));
    });

    it('4 KiB over 2 MiB', () => {
      const mem = nestedTables();
      put(mem, [[0x204020n, 0x20_5007n], [0x102008n, 0x40_0087n]]);
      expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ)).toEqual(ok(0x40_5567n, 0, 15, 12));
    });

    it('1 GiB over 2 MiB', () => {
      const mem = nestedTables();
      // Stage 1 1 GiB leaf -> GPA 0x4060_4567: stage 2 L2 index 1 -> table 0x105000, L1 index 3 a 2 MiB leaf.
      put(mem, [[0x202010n, 0x4000_0087n], [0x101008n, 0x105007n], [0x105018n, 0x60_0087n]]);
      mem.resetCounters();
      expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ)).toEqual(ok(0x60_4567n, 2, 15, 21));
      // 2 stage-1 reads, 2 stage-2 walks of 4 for them, 3 for the output.
      expect(mem.reads).toBe(13);
    });

    it('4 KiB over 1 GiB', () => {
      const mem = nestedTables();
      put(mem, [[0x204020n, 0x4000_5007n], [0x101008n, 0x8000_0087n]]);
      expect(oracleTranslate(mem, PA_BITS, nested, IOVA, READ)).toEqual(ok(0x8000_5567n, 0, 15, 12));
    });
  });
});

describe('nested permission combination', () => {
  const overVtd = nestedSpace('vtd-ss');

  it('faults a write that only stage 2 refuses at stage 2, with the output GPA', () => {
    const mem = nestedTables();
    put(mem, [[s2Entry(0x5000n), 0x305001n]]); // R only
    expect(oracleTranslate(mem, PA_BITS, overVtd, IOVA, WRITE)).toEqual(fault(F.PERMISSION, 2, 0, 0x5567n));
    expect(oracleTranslate(mem, PA_BITS, overVtd, IOVA, READ | USER)).toEqual(ok(0x305567n, 0, R | U, 12));
  });

  it('ANDs X: either stage can refuse execution', () => {
    let mem = nestedTables();
    put(mem, [[s2Entry(0x5000n), 0x305003n]]); // R W, no X
    expect(oracleTranslate(mem, PA_BITS, overVtd, IOVA, EXEC)).toEqual(fault(F.PERMISSION, 2, 0, 0x5567n));
    expect(oracleTranslate(mem, PA_BITS, overVtd, IOVA, READ)).toEqual(ok(0x305567n, 0, R | W | U, 12));
    mem = nestedTables();
    put(mem, [[0x204020n, 0x5007n | (1n << 63n)]]);
    expect(oracleTranslate(mem, PA_BITS, overVtd, IOVA, EXEC)).toEqual(fault(F.PERMISSION, 1, 0, IOVA));
  });

  it('drops R when stage 2 maps the output write-only', () => {
    const mem = nestedTables();
    put(mem, [[s2Entry(0x5000n), 0x305002n]]);
    expect(oracleTranslate(mem, PA_BITS, overVtd, IOVA, WRITE)).toEqual(ok(0x305567n, 0, W | U, 12));
    expect(oracleTranslate(mem, PA_BITS, overVtd, IOVA, READ)).toEqual(fault(F.PERMISSION, 2, 0, 0x5567n));
  });

  it('passes the request to the parent without USER', () => {
    const mem = nestedTables();
    put(mem, [[s2Entry(0x5000n), 0x305003n]]); // x86-64 parent: P, R/W, U/S clear
    const parent = space('x86-64', 4, S2_ROOT);
    // The parent alone refuses a user request for that GPA...
    expect(oracleTranslate(mem, PA_BITS, parent, 0x5567n, READ | USER)).toEqual(fault(F.PERMISSION, 1, 0, 0x5567n));
    // ...but the nested request reaches it as a plain READ, and U comes from stage 1.
    expect(oracleTranslate(mem, PA_BITS, nestedSpace('x86-64'), IOVA, READ | USER)).toEqual(ok(0x305567n, 0, 15, 12));
  });

  it('works with a vtd-ss stage 1 (U always granted)', () => {
    const mem = nestedTables();
    put(mem, [[s2Entry(0x5000n), 0x305001n]]);
    const s = nestedSpace('vtd-ss', { s1Format: 'vtd-ss' });
    expect(oracleTranslate(mem, PA_BITS, s, IOVA, READ | USER)).toEqual(ok(0x305567n, 0, R | U, 12));
  });

  it('refuses a parent that is itself nested', () => {
    const inner = nestedSpace('vtd-ss');
    const s = { ...inner, parent: { ...inner } };
    expect(() => oracleTranslate(nestedTables(), PA_BITS, s, IOVA, READ)).toThrow();
  });
});

describe('nested accessed and dirty flags', () => {
  const s1Entries = [0x201008n, 0x202010n, 0x203018n, 0x204020n];
  const s2Tables = [0x100000n, 0x101000n, 0x102000n];
  const s2Pages = [0x1000n, 0x2000n, 0x3000n, 0x4000n, 0x5000n].map(s2Entry);
  const words = (mem: ReturnType<typeof nestedTables>, addrs: bigint[]) => addrs.map((a) => mem.read64(a));

  it('over vtd-ss: A/D updates of stage-1 entries are stage-2 writes that dirty the table pages', () => {
    const mem = nestedTables();
    const s = nestedSpace('vtd-ss', { ad: true, parentAd: true });
    expect(oracleTranslate(mem, PA_BITS, s, IOVA, READ)).toEqual(ok(0x305567n, 0, 15, 12));
    expect(words(mem, s1Entries)).toEqual([0x2027n, 0x3027n, 0x4027n, 0x5027n]);
    expect(words(mem, s2Tables)).toEqual([0x101107n, 0x102107n, 0x103107n]);
    // Table pages: A from the reads, D from the A writes. Output page: A only (a read).
    expect(words(mem, s2Pages)).toEqual([0x201307n, 0x202307n, 0x203307n, 0x204307n, 0x305107n]);

    expect(oracleTranslate(mem, PA_BITS, s, IOVA, WRITE)).toEqual(ok(0x305567n, 0, 15, 12));
    expect(words(mem, s1Entries)).toEqual([0x2027n, 0x3027n, 0x4027n, 0x5067n]);
    expect(words(mem, s2Pages)).toEqual([0x201307n, 0x202307n, 0x203307n, 0x204307n, 0x305307n]);
  });

  it('over x86-64: the parent uses its own A/D bits (5 and 6)', () => {
    const mem = nestedTables();
    const s = nestedSpace('x86-64', { ad: true, parentAd: true });
    oracleTranslate(mem, PA_BITS, s, IOVA, WRITE);
    expect(words(mem, s1Entries)).toEqual([0x2027n, 0x3027n, 0x4027n, 0x5067n]);
    expect(words(mem, s2Tables)).toEqual([0x101027n, 0x102027n, 0x103027n]);
    expect(words(mem, s2Pages)).toEqual([0x201067n, 0x202067n, 0x203067n, 0x204067n, 0x305067n]);
  });

  it('leaves the parent untouched when only stage 1 has ad', () => {
    const mem = nestedTables();
    oracleTranslate(mem, PA_BITS, nestedSpace('vtd-ss', { ad: true }), IOVA, WRITE);
    expect(words(mem, s1Entries)).toEqual([0x2027n, 0x3027n, 0x4027n, 0x5067n]);
    expect(words(mem, s2Tables)).toEqual([0x101007n, 0x102007n, 0x103007n]);
    expect(words(mem, s2Pages)).toEqual([0x201007n, 0x202007n, 0x203007n, 0x204007n, 0x305007n]);
  });

  it('faults at stage 2 when an A update hits a page stage 2 maps read-only', () => {
    const mem = nestedTables();
    put(mem, [[s2Entry(0x4000n), 0x204001n]]); // stage-1 PT page: R only
    const s = nestedSpace('vtd-ss', { ad: true });
    expect(oracleTranslate(mem, PA_BITS, s, IOVA, READ)).toEqual(fault(F.PERMISSION, 2, 0, 0x4020n));
    expect(words(mem, s1Entries)).toEqual([0x2027n, 0x3027n, 0x4027n, 0x5007n]);
  });

  it('needs no stage-2 write when A is already set, but a first write still needs one for D', () => {
    const mem = nestedTables();
    put(mem, [[s2Entry(0x4000n), 0x204001n], [0x201008n, 0x2027n], [0x202010n, 0x3027n], [0x203018n, 0x4027n], [0x204020n, 0x5027n]]);
    const s = nestedSpace('vtd-ss', { ad: true });
    expect(oracleTranslate(mem, PA_BITS, s, IOVA, READ)).toEqual(ok(0x305567n, 0, 15, 12));
    expect(oracleTranslate(mem, PA_BITS, s, IOVA, WRITE)).toEqual(fault(F.PERMISSION, 2, 0, 0x4020n));
    expect(mem.read64(0x204020n)).toBe(0x5027n);
  });

  it('does not set stage-1 D when stage 2 refuses the write of the output', () => {
    const mem = nestedTables();
    put(mem, [[s2Entry(0x5000n), 0x305001n]]);
    const s = nestedSpace('vtd-ss', { ad: true });
    expect(oracleTranslate(mem, PA_BITS, s, IOVA, WRITE)).toEqual(fault(F.PERMISSION, 2, 0, 0x5567n));
    expect(mem.read64(0x204020n)).toBe(0x5027n);
  });
});
