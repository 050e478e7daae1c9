// The format registry: every page-table format the core walks, by the id spaces
// store (shared with TypeScript: src/engine/types.ts). It is the only place that
// turns an id into a format. An operation that depends on the format is a class with
// a generic `run(f, a, b, c, d, e)` (or `runPair(f, p, ...)` for a nested walk); the
// dispatchers here call it specialised on the space's format at compile time, so
// adding a format is its file and one line in each switch below, and an id no
// format has is refused (UNKNOWN_FORMAT) rather than walked as some other format.
import { X86_64_FORMAT } from './x86-64';
import { VTD_SS_FORMAT } from './vtd-ss';
import { RISCV_SV_FORMAT } from './riscv-sv';
import { NO_PARENT_FORMAT } from './none';

export const FORMAT_X86_64: u8 = 1;
export const FORMAT_VTD_SS: u8 = 2;
export const FORMAT_RISCV_SV: u8 = 3;

/** What the dispatchers return for an id no format has. */
export const UNKNOWN_FORMAT: i64 = i64.MIN_VALUE;

/** `op.run(f, a, b, c, d, e)` with f the format `id` names (arguments as the op reads them). */
@inline export function withFormat<O>(id: u8, op: O, a: u64, b: u64, c: u64, d: u64, e: u64): i64 {
  switch (id) {
    case FORMAT_X86_64: return op.run(X86_64_FORMAT, a, b, c, d, e);
    case FORMAT_VTD_SS: return op.run(VTD_SS_FORMAT, a, b, c, d, e);
    case FORMAT_RISCV_SV: return op.run(RISCV_SV_FORMAT, a, b, c, d, e);
  }
  return UNKNOWN_FORMAT;
}

/**
 * `op.runPair(f, p, a, b)` for a walk of format `own` over a parent of format
 * `parent` (-1: none, p is NoParent). Only pairs pairAllowed accepts reach it.
 */
@inline export function withFormatPair<O>(own: u8, parent: i32, op: O, a: u64, b: u64): i64 {
  switch (own) {
    case FORMAT_X86_64: return withParent(parent, op, X86_64_FORMAT, a, b);
    case FORMAT_VTD_SS: return withParent(parent, op, VTD_SS_FORMAT, a, b);
    // Single-stage only until its G-stage (Sv39x4...) exists: no pair is compiled.
    case FORMAT_RISCV_SV: return parent < 0 ? op.runPair(RISCV_SV_FORMAT, NO_PARENT_FORMAT, a, b) : UNKNOWN_FORMAT;
  }
  return UNKNOWN_FORMAT;
}

@inline function withParent<O, F>(parent: i32, op: O, f: F, a: u64, b: u64): i64 {
  if (parent < 0) return op.runPair(f, NO_PARENT_FORMAT, a, b);
  switch (<u8>parent) {
    case FORMAT_X86_64: return op.runPair(f, X86_64_FORMAT, a, b);
    case FORMAT_VTD_SS: return op.runPair(f, VTD_SS_FORMAT, a, b);
  }
  return UNKNOWN_FORMAT;
}

@final @unmanaged class LevelsOk {
  @inline run<F>(f: F, levels: u64, b: u64, c: u64, d: u64, e: u64): i64 { return f.levelsOk(<u32>levels) ? 1 : 0; }
}

/** Whether `id` names a format and `levels` is a level count it supports. */
export function levelsSupported(id: u8, levels: u32): bool {
  return withFormat(id, changetype<LevelsOk>(0), levels, 0, 0, 0, 0) == 1;
}

/** Whether a space of format `own` may nest on a parent of format `parent` (the TypeScript FORMATS' parents). */
export function pairAllowed(own: u8, parent: u8): bool {
  switch (own) {
    case FORMAT_X86_64: return parent == FORMAT_VTD_SS || parent == FORMAT_X86_64;
    case FORMAT_VTD_SS: return parent == FORMAT_VTD_SS || parent == FORMAT_X86_64;
  }
  return false;
}
