// The object table: ID allocation, typed lookup, users and leaf-first close.
import { describe, expect, it } from 'vitest';
import { EBUSY, ENOENT, IommufdObject, ObjectTable, ObjectType } from '../../src/index.js';

class Thing extends IommufdObject {
  readonly type = ObjectType.SELFTEST;
  destroyed = false;
  override onDestroy(): void {
    this.destroyed = true;
  }
}

class Other extends IommufdObject {
  readonly type = ObjectType.FAULT;
}

const add = (t: ObjectTable, o: IommufdObject) => {
  const r = t.add(o);
  if (!r.ok) throw new Error('add');
  return r.value;
};

describe('ObjectTable', () => {
  it('hands out the lowest free ID from 1 and reuses freed IDs', () => {
    const t = new ObjectTable();
    const ids = [0, 1, 2, 3].map(() => add(t, new Thing()));
    expect(ids).toEqual([1, 2, 3, 4]);
    expect(t.destroy(2)).toBe(0);
    expect(t.destroy(3)).toBe(0);
    expect(add(t, new Thing())).toBe(2);
    expect(add(t, new Thing())).toBe(3);
    expect(add(t, new Thing())).toBe(5);
    expect(t.destroy(5)).toBe(0);
    expect(t.destroy(4)).toBe(0);
    expect(add(t, new Thing())).toBe(4);
  });

  it('typed lookup: wrong type or missing ID is the same miss', () => {
    const t = new ObjectTable();
    const id = add(t, new Thing());
    expect(t.get(id, ObjectType.SELFTEST)).toBeDefined();
    expect(t.get(id, ObjectType.IOAS)).toBeUndefined();
    expect(t.get(0, ObjectType.SELFTEST)).toBeUndefined();
    expect(t.destroy(0)).toBe(-ENOENT);
    expect(t.destroy(99)).toBe(-ENOENT);
  });

  it('a held object is EBUSY until its holder goes; close destroys leaf-first', () => {
    const removed: number[] = [];
    const t = new ObjectTable((o) => removed.push(o.id));
    const parent = new Thing();
    const child = new Other();
    add(t, parent);
    add(t, child);
    t.hold(child, parent);
    expect(parent.users).toBe(2);
    expect(t.destroy(parent.id)).toBe(-EBUSY);
    expect(parent.destroyed).toBe(false);
    t.destroyAll();
    expect(removed).toEqual([2, 1]);
    expect(parent.destroyed).toBe(true);
    expect(t.size).toBe(0);
  });

  it('release undoes hold; over-release is a bug that throws', () => {
    const t = new ObjectTable();
    const a = new Thing();
    const b = new Thing();
    add(t, a);
    add(t, b);
    t.hold(b, a);
    t.release(b, a);
    expect(a.users).toBe(1);
    expect(() => t.release(null, a)).toThrow();
    expect(t.destroy(a.id)).toBe(0);
  });
});
