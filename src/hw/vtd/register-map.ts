// The unit's registers: what each one reads as and what writing it does. Writes that
// set reserved bits, or that the unit's state does not allow, change nothing and are
// noted in `unit.refusedWrites`.
import { aboveWidth, mask } from '../common/bits.js';
import { FRCD_BASE, IOTLB_REGS_BASE } from './capabilities.js';
import { decodeDescriptor } from './descriptors.js';
import { maskedSourceIds } from './invalidation.js';
import { merge, type Register } from '../common/register-file.js';
import { Fsts, Gcmd, Gsts, Reg, VERSION } from './registers.js';
import type { VtdUnit } from './unit.js';

const LOW32 = 0xffff_ffffn;

function readOnly(offset: number, size: 4 | 8, read: () => bigint): Register {
  return { offset, size, read };
}

/** A plain storage register (interrupt message data/address). */
function storage(unit: VtdUnit, offset: number): Register {
  return {
    offset, size: 4,
    read: () => unit.messageRegisters.get(offset) ?? 0n,
    write: (v, m) => unit.messageRegisters.set(offset, merge(unit.messageRegisters.get(offset) ?? 0n, v, m)),
  };
}

export function buildRegisters(unit: VtdUnit): Register[] {
  const { queue, faults, pageRequests, interrupts } = unit;
  const haw = unit.engine.paBits;
  let ccmd = 0n;
  let iva = 0n;
  let iotlbReg = 0n;

  const registers: Register[] = [
    readOnly(Reg.VER, 4, () => VERSION),
    readOnly(Reg.CAP, 8, () => unit.cap),
    readOnly(Reg.ECAP, 8, () => unit.ecap),
    {
      // Write-only: each write is a set of commands; persistent ones (TE, QIE) follow the written value.
      offset: Reg.GCMD, size: 4, read: () => 0n,
      write: (v) => gcmd(unit, Number(v & LOW32)),
    },
    readOnly(Reg.GSTS, 4, () => BigInt(
      (unit.translationEnabled ? Gsts.TES : 0) | (unit.rootPointerSet ? Gsts.RTPS : 0) | (queue.enabled ? Gsts.QIES : 0)) & LOW32),
    {
      offset: Reg.RTADDR, size: 8, read: () => unit.rtaddr,
      write: (v, m) => {
        const next = merge(unit.rtaddr, v, m);
        // Bits 9:0 are reserved, and so is any address bit at or above the host width.
        if (next & mask(9, 0) || aboveWidth(next, haw)) return unit.refuse(Reg.RTADDR, next, 'reserved bits in RTADDR');
        unit.rtaddr = next;
      },
    },
    {
      // Register-based context invalidation (ICC 63, CIRG 62:61, CAIG 60:59, FM 33:32, SID 31:16, DID 15:0).
      offset: Reg.CCMD, size: 8, read: () => ccmd,
      write: (v, m) => {
        const next = merge(ccmd, v, m);
        if (!(next >> 63n)) { ccmd = next; return; }
        if (queue.enabled) return unit.refuse(Reg.CCMD, next, 'register-based invalidation while queued invalidation is enabled');
        const cirg = Number((next >> 61n) & 3n);
        const did = Number(next & 0xffffn);
        const sid = Number((next >> 16n) & 0xffffn);
        const contexts = unit.resolver.contexts;
        if (cirg === 1) contexts.invalidateGlobal();
        else if (cirg === 2) contexts.invalidateDomain(did);
        else if (cirg === 3) for (const s of maskedSourceIds(sid, Number((next >> 32n) & 3n))) contexts.invalidateDevice(s);
        // Done: ICC clears and CAIG reports the granularity performed (0 = the request was invalid).
        ccmd = (next & ~(mask(63, 63) | mask(60, 59))) | (BigInt(cirg) << 59n);
      },
    },
    {
      offset: Reg.FSTS, size: 4,
      read: () => faults.statusBits() | (queue.error ? BigInt(Fsts.IQE) : 0n),
      write: (v) => {
        if (v & BigInt(Fsts.PFO)) faults.clearOverflow();
        if (v & BigInt(Fsts.IQE)) queue.clearError();
      },
    },
    { offset: Reg.FECTL, size: 4, read: () => interrupts.fault.read(), write: (v) => interrupts.fault.write(v) },
    storage(unit, Reg.FEDATA), storage(unit, Reg.FEADDR), storage(unit, Reg.FEUADDR),
    readOnly(Reg.IQH, 8, () => queue.readHead()),
    {
      offset: Reg.IQT, size: 8, read: () => queue.readTail(),
      write: (v, m) => {
        const next = merge(queue.readTail(), v, m);
        if (!queue.writeTail(next)) unit.refuse(Reg.IQT, next, 'reserved bits in IQT');
      },
    },
    {
      offset: Reg.IQA, size: 8, read: () => queue.readIqa(),
      write: (v, m) => {
        const next = merge(queue.readIqa(), v, m);
        if (!queue.writeIqa(next)) unit.refuse(Reg.IQA, next, queue.enabled ? 'IQA written while queued invalidation is enabled' : 'reserved bits in IQA');
      },
    },
    {
      offset: Reg.ICS, size: 4, read: () => (queue.waitComplete ? 1n : 0n),
      write: (v) => { if (v & 1n) queue.waitComplete = false; },
    },
    { offset: Reg.IECTL, size: 4, read: () => interrupts.invalidation.read(), write: (v) => interrupts.invalidation.write(v) },
    storage(unit, Reg.IEDATA), storage(unit, Reg.IEADDR), storage(unit, Reg.IEUADDR),
    readOnly(Reg.IQERCD, 8, () => 0n),
    {
      offset: Reg.PQH, size: 8, read: () => pageRequests.readHead(),
      write: (v, m) => {
        const next = merge(pageRequests.readHead(), v, m);
        if (!pageRequests.writeHead(next)) unit.refuse(Reg.PQH, next, 'PQH is not an entry of the page request queue');
      },
    },
    readOnly(Reg.PQT, 8, () => pageRequests.readTail()),
    {
      offset: Reg.PQA, size: 8, read: () => pageRequests.readPqa(),
      write: (v, m) => {
        const next = merge(pageRequests.readPqa(), v, m);
        if (aboveWidth(next, haw) || !pageRequests.writePqa(next)) unit.refuse(Reg.PQA, next, 'reserved bits in PQA');
      },
    },
    {
      offset: Reg.PRS, size: 4, read: () => (pageRequests.pending ? 1n : 0n) | (pageRequests.overflow ? 2n : 0n),
      write: (v) => {
        if (v & 1n) pageRequests.pending = false;
        if (v & 2n) pageRequests.overflow = false;
      },
    },
    { offset: Reg.PECTL, size: 4, read: () => interrupts['page-request'].read(), write: (v) => interrupts['page-request'].write(v) },
    storage(unit, Reg.PEDATA), storage(unit, Reg.PEADDR), storage(unit, Reg.PEUADDR),
    {
      // IVA_REG: AM 5:0, IH 6, ADDR 63:12 for a page-selective register-based IOTLB invalidation.
      offset: IOTLB_REGS_BASE, size: 8, read: () => iva,
      write: (v, m) => { iva = merge(iva, v, m); },
    },
    {
      // IOTLB_REG: IVT 63, IIRG 61:60, IAIG 58:57, DR 49, DW 48, DID 47:32.
      offset: IOTLB_REGS_BASE + 8, size: 8, read: () => iotlbReg,
      write: (v, m) => {
        const next = merge(iotlbReg, v, m);
        if (!(next >> 63n)) { iotlbReg = next; return; }
        if (queue.enabled) return unit.refuse(IOTLB_REGS_BASE + 8, next, 'register-based invalidation while queued invalidation is enabled');
        const iirg = Number((next >> 60n) & 3n);
        // The same decoder as the queue: an IOTLB descriptor with these fields.
        const decoded = decodeDescriptor([2n | (BigInt(iirg) << 4n) | (((next >> 32n) & 0xffffn) << 16n), iva & ~mask(11, 7)],
          unit.features.maxAddressMask);
        const done = decoded.ok && unit.invalidator.apply(decoded.value);
        iotlbReg = (next & ~(mask(63, 63) | mask(58, 57))) | (done ? BigInt(iirg) << 57n : 0n);
      },
    },
  ];
  for (let i = 0; i < faults.count; i++) {
    const base = FRCD_BASE + i * 16;
    registers.push(readOnly(base, 8, () => faults.read(i, 0)));
    registers.push({ offset: base + 8, size: 8, read: () => faults.read(i, 1), write: (v, m) => faults.writeHigh(i, v & m) });
  }
  return registers;
}

function gcmd(unit: VtdUnit, value: number): void {
  if (value & Gcmd.SRTP) {
    unit.activeRtaddr = unit.rtaddr;
    unit.rootPointerSet = true;
  }
  unit.translationEnabled = (value & Gcmd.TE) !== 0;
  const wantQueue = (value & Gcmd.QIE) !== 0;
  if (wantQueue !== unit.queue.enabled) {
    const done = wantQueue ? unit.queue.enable() : unit.queue.disable();
    if (!done) unit.refuse(Reg.GCMD, BigInt(value), wantQueue ? 'QIE refused: IQT is not 0 or IQA is not host memory' : 'QIE cleared with descriptors pending');
  }
}
