// invalidateSpaces: a queue of PASID invalidations in one call, through the batch
// ring's space column. Exactly the listed spaces lose their entries.
import { describe, expect, it } from 'vitest';
import { Access, Engine, Perm } from '../../src/engine/index.js';

describe('invalidateSpaces', () => {
  it('drops what the listed spaces cached, keeps the others, skips dead ids, and takes more ids than the batch holds', async () => {
    const engine = await Engine.create({ physMemBytes: 32 << 20, batchCapacity: 4 });
    const owner = engine.createSpace({ format: 'x86-64', levels: 4 });
    engine.map(owner, 0x10_0000n, 0x40_0000n, 0x1000n, Perm.R | Perm.W);
    const spaces = [owner];
    for (let i = 0; i < 9; i++) spaces.push(engine.createSpace({ format: 'x86-64', levels: 4, root: engine.root(owner) }));
    for (const s of spaces) engine.translate(s, 0x10_0000n, Access.READ);
    const listed = spaces.filter((_, i) => i % 2 === 0);
    const before = engine.counters();
    // Six listed ids plus two that name no live space, over a 4-request batch ring.
    engine.invalidateSpaces([...listed, 999, 4000]);
    expect(engine.counters().invSpace - before.invSpace).toBe(listed.length);
    for (const s of spaces) {
      const walks = engine.counters().walks;
      engine.translate(s, 0x10_0000n, Access.READ);
      expect(engine.counters().walks - walks, `space ${s}`).toBe(listed.includes(s) ? 1 : 0);
    }
  });
});
