// The page sizes a space holds in the IOTLB decide how many probes a ranged
// invalidation makes. Whole-space invalidation forgets them without writing the
// space record (the mask is cleared lazily, by epoch); these tests pin that the
// probe counts still follow what is cached.
import { describe, expect, it } from 'vitest';
import { Access, Engine, Perm } from '../../src/engine/index.js';

const MIB2 = 0x20_0000n;

async function twoSizes() {
  // Walk caches off: their probes would count too.
  const engine = await Engine.create({ physMemBytes: 64 << 20, walkCache: false });
  const space = engine.createSpace({ format: 'x86-64', levels: 4 });
  // One 2 MiB page at 0 and one 4 KiB page right after it.
  engine.map(space, 0n, 0x40_0000n, MIB2, Perm.R | Perm.W);
  engine.map(space, MIB2, 0x80_0000n, 0x1000n, Perm.R | Perm.W);
  const probesOf = (bytes: bigint) => {
    const before = engine.counters().invProbes;
    engine.invalidateRange(space, 0n, bytes);
    return engine.counters().invProbes - before;
  };
  const translateBoth = () => {
    engine.translate(space, 0x1000n, Access.READ);
    engine.translate(space, MIB2, Access.READ);
  };
  return { engine, space, probesOf, translateBoth };
}

describe('page-size mask', () => {
  it('a ranged invalidation probes each cached page size, and none after the space was invalidated', async () => {
    const { engine, space, probesOf, translateBoth } = await twoSizes();
    translateBoth();
    // 4 KiB pages of a 4 KiB range: 1 probe; 2 MiB: 1 probe.
    expect(probesOf(0x1000n)).toBe(2);
    translateBoth();
    engine.invalidateSpace(space);
    expect(probesOf(0x1000n)).toBe(0);
    // A fill after the invalidation brings back only its own size.
    engine.translate(space, MIB2, Access.READ);
    expect(probesOf(0x1000n)).toBe(1);
    engine.translate(space, 0x1000n, Access.READ);
    expect(probesOf(0x1000n)).toBe(2);
  });

  it('survives stamp renumbering: a mask written before it does not come back', async () => {
    const { engine, space, probesOf, translateBoth } = await twoSizes();
    translateBoth();
    engine.core.debugStamp(0xffff_feff);
    translateBoth();
    // Runs out of stamps: every cache is emptied and the stamps start again.
    for (let i = 0; i < 0x200; i++) engine.invalidateGroup(0);
    expect(engine.counters().epochWraps).toBeGreaterThan(0);
    engine.invalidateSpace(space);
    expect(probesOf(0x1000n)).toBe(0);
    engine.translate(space, 0x1000n, Access.READ);
    expect(probesOf(0x1000n)).toBe(1);
  });

  it('every other way of renewing a space\'s epoch forgets its page sizes too', async () => {
    const { engine, space, probesOf, translateBoth } = await twoSizes();
    const renewals: [string, () => void][] = [
      ['invalidateSpaces (one epoch for the queue)', () => engine.invalidateSpaces([space])],
      ['A/D switched on', () => engine.setOptions(space, { ad: true })],
      ['A/D switched off', () => engine.setOptions(space, { ad: false })],
    ];
    for (const [what, renew] of renewals) {
      translateBoth();
      expect(probesOf(0x1000n), what).toBe(2);
      translateBoth();
      renew();
      expect(probesOf(0x1000n), what).toBe(0);
    }
  });

  it('a guest space pointed at another root, and an id destroyed and created again, start with no page sizes', async () => {
    const { engine, space, probesOf, translateBoth } = await twoSizes();
    const guest = engine.createSpace({ format: 'x86-64', levels: 4, root: engine.root(space) });
    const guestProbes = () => {
      const before = engine.counters().invProbes;
      engine.invalidateRange(guest, 0n, 0x1000n);
      return engine.counters().invProbes - before;
    };
    engine.translate(guest, 0x1000n, Access.READ);
    engine.translate(guest, MIB2, Access.READ);
    expect(guestProbes()).toBe(2);
    engine.translate(guest, 0x1000n, Access.READ);
    engine.setRoot(guest, engine.root(space));
    expect(guestProbes()).toBe(0);
    engine.translate(guest, MIB2, Access.READ);
    engine.destroySpace(guest);
    const again = engine.createSpace({ format: 'x86-64', levels: 4, root: engine.root(space) });
    expect(again).toBe(guest);
    expect(guestProbes()).toBe(0);
    // The owner kept its own sizes throughout.
    translateBoth();
    expect(probesOf(0x1000n)).toBe(2);
  });
});

