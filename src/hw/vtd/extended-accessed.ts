// EAFE: with extended-accessed-flag enable, the unit sets EA (bit 10) in every
// first-stage entry it sets A in. The engine's x86-64 walker knows only A/D, so after
// a translation the unit retraces the first-stage path and sets EA where A is set.
// (It does so on IOTLB hits too; hardware would only on walks. EA is a hint for
// software that clears it, so an extra set is harmless.)
import type { Engine } from '../../engine/engine.js';
import { Access } from '../../engine/types.js';

const P = 1n;
const A = 1n << 5n;
const PS = 1n << 7n;
const EA = 1n << 10n;
const ADDRESS = ((1n << 52n) - 1n) & ~0xfffn;

/** `toHost` maps a table address to host memory (identity unless nested); undefined stops the retrace. */
export function setExtendedAccessed(engine: Engine, root: bigint, levels: number, iova: bigint,
  toHost: (tableAddr: bigint) => bigint | undefined): void {
  let table = root & ADDRESS;
  for (let level = levels - 1; level >= 0; level--) {
    const entryAddr = toHost(table + ((iova >> BigInt(12 + 9 * level)) & 511n) * 8n);
    if (entryAddr === undefined) return;
    const entry = engine.phys.read64(entryAddr);
    if (entry === undefined || !(entry & P)) return;
    if (entry & A && !(entry & EA)) engine.phys.write64(entryAddr, entry | EA);
    if (level === 0 || (entry & PS && level <= 2)) return;
    table = entry & ADDRESS;
  }
}

/** Host address of a GPA through the parent, without caches or A/D side effects. */
export function throughParent(engine: Engine, parent: number): (gpa: bigint) => bigint | undefined {
  return (gpa) => {
    const t = engine.walk(parent, gpa, Access.READ);
    return t.fault ? undefined : t.addr;
  };
}
