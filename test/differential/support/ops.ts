// The operations a differential run is made of, as plain data fast-check can
// generate and shrink. Numbers are choices: the interpreter reduces them modulo
// whatever they choose among, against the state the run has reached.

import fc from 'fast-check';
import { Access } from '../../../src/engine/types.js';
import { EDIT_KINDS, type EditKind } from './edits.js';

export const INVALIDATIONS = ['range-leaf', 'range', 'space', 'group', 'all'] as const;
export type InvalidationKind = (typeof INVALIDATIONS)[number];

/** Per-level index choices (slotIova) or per-part choices (dataGpa). */
type Pick = number[];

export interface TranslateOp {
  kind: 'translate';
  space: number;
  slot: Pick;
  mapped: number | null;
  again: number | null;
  offset: number;
  access: number;
  outOfRange: boolean;
  /** Check with a walk that uses (and fills) the walk caches, before the translation. */
  cachedWalk: boolean;
}

export type Op =
  | { kind: 'map'; space: number; level: number; slot: Pick; target: Pick; perms: number }
  | { kind: 'unmap'; space: number; level: number; slot: Pick; mapped: number | null; sub: number }
  | { kind: 'edit'; space: number; slot: Pick; mapped: number | null; offset: number; edit: EditKind; n: number; inv: InvalidationKind; sub: number; target: Pick }
  | TranslateOp
  | { kind: 'batch'; requests: TranslateOp[] }
  | { kind: 'recreate'; space: number }
  | { kind: 's2map'; level: number; slot: Pick; target: number; perms: number }
  | { kind: 's2unmap'; level: number; slot: Pick; mapped: number | null; sub: number }
  | { kind: 's2edit'; tablePage: number | null; slot: Pick; mapped: number | null; edit: EditKind; n: number; inv: InvalidationKind; target: number; nested: NestedInvalidation }
  | { kind: 's2table'; page: number; remap: boolean; nested: NestedInvalidation };

/**
 * How the nested spaces are invalidated after the parent's mapping of a page holding
 * stage-1 tables changed: docs/formats.md asks for space, group or all, because a
 * nested IOTLB entry remembers only its output GPA.
 */
export const NESTED_INVALIDATIONS = ['spaces', 'group', 'all'] as const;
export type NestedInvalidation = (typeof NESTED_INVALIDATIONS)[number];

const pick = fc.array(fc.nat({ max: 1023 }), { minLength: 5, maxLength: 5 });
/** 4 KiB pages most often, then 2 MiB, then 1 GiB. */
const level = fc.constantFrom(0, 0, 0, 0, 0, 1, 1, 1, 2, 2);
const small = fc.nat({ max: 1023 });
/** Usually a recent mapping (null: a slot, mapped or not). */
const maybeMapped = fc.option(small, { freq: 4 });
const access = fc.tuple(fc.constantFrom(Access.READ, Access.READ, Access.WRITE, Access.WRITE, Access.EXEC), fc.nat({ max: 2 }))
  .map(([kind, user]) => kind | (user === 0 ? Access.USER : 0));
/** Everything half of the time, so that most translations of mapped pages succeed. */
const perms = fc.oneof(fc.constant(15), fc.nat({ max: 15 }));
const edit = fc.constantFrom(...EDIT_KINDS);
const inv = fc.constantFrom(...INVALIDATIONS);
const nested = fc.constantFrom(...NESTED_INVALIDATIONS);

const map: fc.Arbitrary<Op> = fc.record({ kind: fc.constant('map' as const), space: small, level, slot: pick, target: pick, perms });
const unmap: fc.Arbitrary<Op> = fc.record({ kind: fc.constant('unmap' as const), space: small, level, slot: pick, mapped: maybeMapped, sub: small });
const editLeaf: fc.Arbitrary<Op> = fc.record({ kind: fc.constant('edit' as const), space: small, slot: pick, mapped: maybeMapped, offset: fc.nat(), edit, n: small, inv, sub: small, target: pick });

const translate: fc.Arbitrary<TranslateOp> = fc.record({
  kind: fc.constant('translate' as const), space: small, slot: pick, mapped: maybeMapped, offset: fc.nat(), access,
  // Often an address translated before, so that the IOTLB and walk caches hit.
  again: fc.oneof({ arbitrary: fc.constant(null), weight: 7 }, { arbitrary: small, weight: 3 }),
  // One translation in sixteen asks for an address outside the format's input range.
  outOfRange: fc.nat({ max: 15 }).map((n) => n === 0),
  cachedWalk: fc.boolean(),
});

const stage2: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('s2map' as const), level, slot: pick, target: small, perms }),
  fc.record({ kind: fc.constant('s2unmap' as const), level, slot: pick, mapped: maybeMapped, sub: small }),
  fc.record({ kind: fc.constant('s2edit' as const), tablePage: fc.option(small, { freq: 2 }), slot: pick, mapped: maybeMapped, edit, n: small, inv, target: small, nested }),
  fc.record({ kind: fc.constant('s2table' as const), page: small, remap: fc.boolean(), nested }),
);

/** A run: translations about as often as changes, so most changes are observed. */
export function opSequence(nested: boolean, maxLength: number): fc.Arbitrary<Op[]> {
  // Mapping outweighs unmapping so that spaces fill up and most translations find a page.
  const weighted: Array<fc.WeightedArbitrary<Op>> = [
    { arbitrary: map, weight: 8 },
    { arbitrary: unmap, weight: 2 },
    { arbitrary: editLeaf, weight: 4 },
    { arbitrary: translate, weight: 12 },
    // Several requests through the batch ring: misses are walked together, interleaved.
    { arbitrary: fc.record({ kind: fc.constant('batch' as const), requests: fc.array(translate, { minLength: 2, maxLength: 12 }) }), weight: 2 },
    // A space destroyed and created again: its id comes back, its old entries must not.
    { arbitrary: fc.record({ kind: fc.constant('recreate' as const), space: small }), weight: 1 },
  ];
  if (nested) weighted.push({ arbitrary: stage2, weight: 4 });
  // size 'max': fast-check's default size would keep sequences far shorter than maxLength.
  return fc.array(fc.oneof(...weighted), { minLength: Math.min(8, maxLength), maxLength, size: 'max' });
}
