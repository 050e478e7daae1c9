// The machinery every hardware model shares (src/hw/common), on its own: a second
// model relies on exactly these behaviours, so they are pinned here rather than only
// through the VT-d unit.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import {
  GenerationCache, LatchedInterrupt, RegisterFile, SpaceRegistry, SpacesReclaimed, field, merge, place, type Register,
} from '../../src/hw/common/index.js';

describe('RegisterFile', () => {
  function file() {
    let wide = 0x1111_2222_3333_4444n;
    let narrow = 0xaaaa_bbbbn;
    const writes: { value: bigint; mask: bigint }[] = [];
    const regs: Register[] = [
      { offset: 0x10, size: 8, read: () => wide, write: (v, m) => { writes.push({ value: v, mask: m }); wide = merge(wide, v, m); } },
      { offset: 0x20, size: 4, read: () => narrow, write: (v) => { narrow = v; } },
      { offset: 0x24, size: 4, read: () => 0x5n },
    ];
    return { f: new RegisterFile(regs, 'TEST MMIO'), writes, get narrow() { return narrow; } };
  }

  it('reads a 64-bit register whole or as two halves, and two 32-bit registers as one word', () => {
    const { f } = file();
    expect(f.read(0x10, 8)).toBe(0x1111_2222_3333_4444n);
    expect(f.read(0x10, 4)).toBe(0x3333_4444n);
    expect(f.read(0x14, 4)).toBe(0x1111_2222n);
    expect(f.read(0x20, 8)).toBe(0x5_aaaa_bbbbn);
    expect(f.read(0x30, 4)).toBe(0n); // unimplemented offsets read as zero
  });

  it('hands a half write the bits it wrote and a mask of them, leaving the other half', () => {
    const t = file();
    t.f.write(0x14, 4, 0xdead_beef);
    expect(t.writes).toEqual([{ value: 0xdead_beefn << 32n, mask: 0xffff_ffffn << 32n }]);
    expect(t.f.read(0x10, 8)).toBe(0xdead_beef_3333_4444n);
    t.f.write(0x20, 8, 0x7_0000_0001n); // the read-only upper register ignores its half
    expect(t.narrow).toBe(1n);
  });

  it('refuses accesses that are not naturally aligned 4- or 8-byte ones, naming the model', () => {
    const { f } = file();
    expect(() => f.read(0x12, 4)).toThrow(/^TEST MMIO: 4-byte access at 0x12/);
    expect(() => f.write(0x14, 8, 0)).toThrow(RangeError);
    expect(() => f.read(0x10, 2)).toThrow(RangeError);
  });

  it('bit fields place and extract', () => {
    expect(field(place(0x5a, 15, 8), 15, 8)).toBe(0x5an);
    expect(place(0x1ff, 11, 8)).toBe(0xf00n); // truncated to the field
  });
});

describe('GenerationCache', () => {
  it('drops exactly the entries tagged by a bumped key, and everything on a global bump', () => {
    const c = new GenerationCache<string>();
    c.put('a', ['dom:1', 'dev:1'], 'A');
    c.put('b', ['dom:1', 'dev:2'], 'B');
    c.put('c', ['dom:2'], 'C');
    c.generations.bump('dev:1');
    expect(c.get('a')).toBeUndefined();
    expect(c.get('b')).toBe('B');
    c.generations.bump('dom:1');
    expect(c.get('b')).toBeUndefined();
    expect(c.get('c')).toBe('C');
    c.generations.bumpAll();
    expect(c.get('c')).toBeUndefined();
    expect({ hits: c.hits, misses: c.misses }).toEqual({ hits: 2, misses: 3 });
    c.put('c', ['dom:2'], 'C2'); // filled after the bumps: current again
    expect(c.get('c')).toBe('C2');
  });
});

describe('LatchedInterrupt', () => {
  it('keeps an event raised while masked pending and delivers it once on unmask', () => {
    const seen: string[] = [];
    const irq = new LatchedInterrupt('fault', (k) => seen.push(k));
    expect(irq.masked).toBe(true);
    irq.raise();
    irq.raise();
    expect(irq.pending).toBe(true);
    expect(seen).toEqual([]);
    irq.setMasked(false);
    expect(seen).toEqual(['fault']);
    expect(irq.pending).toBe(false);
    irq.raise();
    expect(irq.delivered).toBe(2);
    irq.setMasked(true);
    irq.setMasked(false); // nothing pending: nothing delivered
    expect(irq.delivered).toBe(2);
  });
});

class TestSpaces extends SpaceRegistry<'leaf' | 'parent' | 'nested'> {
  single(domain: number, tag: number | undefined, root: bigint): number {
    return this.obtain(`s:${domain}:${tag}:${root}`, 'leaf', domain, tag, () => ({ format: 'x86-64', levels: 4, root }));
  }
  nested(domain: number, tag: number, root: bigint, parentRoot: bigint): number {
    const parent = this.obtain(`p:${domain}:${parentRoot}`, 'parent', domain, undefined, () => ({ format: 'vtd-ss', levels: 4, root: parentRoot }));
    return this.obtain(`n:${domain}:${tag}:${root}`, 'nested', domain, tag, () => ({ format: 'x86-64', levels: 4, root, parent }), parent);
  }
}

describe('SpaceRegistry', () => {
  it('creates a space once per key, in its domain group, indexed by domain and by (domain, tag)', async () => {
    const engine = await Engine.create();
    let reclaimed = 0;
    const spaces = new TestSpaces(engine, { staleCheck: false, onReclaim: () => reclaimed++ });
    const a = spaces.single(3, 7, 0x1000n);
    expect(spaces.single(3, 7, 0x1000n)).toBe(a);
    const b = spaces.single(3, 8, 0x2000n);
    const n = spaces.nested(4, 7, 0x3000n, 0x4000n);
    const p = spaces.parentOf(n);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(spaces.parentOf(a)).toBe(-1);
    expect([...spaces.spacesOfDomain(3)].map((r) => r.id).sort()).toEqual([a, b].sort());
    expect([...spaces.spacesOfTag(3, 7)].map((r) => r.id)).toEqual([a]);
    expect([...spaces.spacesOfTag(4, 7)].map((r) => r.kind)).toEqual(['nested']);
    expect([...spaces.domains()].sort()).toEqual([3, 4]);
    expect(engine.spaces().sort()).toEqual([a, b, n, p].sort());
    expect(reclaimed).toBe(0);
  });

  it('when the engine runs out of slots, destroys every space (children first) and says so', async () => {
    const engine = await Engine.create({ maxSpaces: 3 });
    let reclaimed = 0;
    const spaces = new TestSpaces(engine, { staleCheck: false, onReclaim: () => reclaimed++ });
    spaces.nested(1, 1, 0x1000n, 0x2000n); // two slots: parent and nested
    spaces.single(2, 5, 0x3000n);
    expect(() => spaces.single(2, 6, 0x4000n)).toThrow(SpacesReclaimed);
    expect(engine.spaces()).toEqual([]);
    expect(spaces.size).toBe(0);
    expect([...spaces.spacesOfDomain(1)]).toEqual([]);
    expect({ reclaimed, reclaims: spaces.reclaims }).toEqual({ reclaimed: 1, reclaims: 1 });
    // The retried lookup now fits.
    expect(spaces.single(2, 6, 0x4000n)).toBeGreaterThanOrEqual(0);
  });
});
