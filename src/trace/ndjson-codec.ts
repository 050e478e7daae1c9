// One trace object <-> one JSON line. Strict on input: unknown keys, missing
// keys, fractional or unsafe numbers are errors, because a typo that silently
// turns into a default would replay a different workload.

import { TraceFormatError } from './errors.js';
import {
  DMA_ACCESSES,
  INVALIDATE_KINDS,
  validateRecord,
  type JsonValue,
  type TraceHeader,
  type TraceHeaderInit,
  type TraceRecord,
} from './records.js';

export const NDJSON_FORMAT = 'iommu-wasm-trace';
export const NDJSON_VERSION = 1;

const PERM_LETTERS = ['r', 'w', 'x', 'u'] as const; // bit i is letter i

const hex = (v: bigint): string => `0x${v.toString(16)}`;

export function permsToString(perms: number): string {
  return PERM_LETTERS.filter((_, bit) => perms & (1 << bit)).join('');
}

export function headerToJson(header: TraceHeaderInit): string {
  const out: Record<string, unknown> = {
    type: 'header',
    format: NDJSON_FORMAT,
    version: NDJSON_VERSION,
    creator: header.creator,
    seed: hex(header.seed),
  };
  if (header.metadata !== undefined) out.metadata = header.metadata;
  return JSON.stringify(out);
}

/** Addresses in hex (how people read them), lengths in decimal. */
export function recordToJson(r: TraceRecord): string {
  switch (r.type) {
    case 'map':
      return JSON.stringify({
        type: 'map',
        space: r.space,
        iova: hex(r.iova),
        addr: hex(r.addr),
        length: r.length.toString(),
        perms: permsToString(r.perms),
      });
    case 'unmap':
      return JSON.stringify({ type: 'unmap', space: r.space, iova: hex(r.iova), length: r.length.toString() });
    case 'invalidate':
      switch (r.kind) {
        case 'range':
          return JSON.stringify({
            type: 'invalidate',
            kind: 'range',
            space: r.space,
            iova: hex(r.iova),
            length: r.length.toString(),
            leafOnly: r.leafOnly,
          });
        case 'space':
          return JSON.stringify({ type: 'invalidate', kind: 'space', space: r.space });
        case 'group':
          return JSON.stringify({ type: 'invalidate', kind: 'group', group: r.group });
        case 'all':
          return JSON.stringify({ type: 'invalidate', kind: 'all' });
      }
      break;
    case 'dma': {
      const out: Record<string, unknown> = { type: 'dma', device: r.device };
      if (r.pasid !== undefined) out.pasid = r.pasid;
      out.iova = hex(r.iova);
      out.length = r.length.toString();
      out.access = r.access;
      return JSON.stringify(out);
    }
  }
  throw new TypeError(`unknown record ${JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
}

/** Reads the fields of one JSON object, remembering which keys were used. */
class Fields {
  private readonly used = new Set<string>();

  constructor(
    private readonly object: Record<string, unknown>,
    private readonly line: number,
    private readonly what: string,
  ) {}

  fail(message: string): TraceFormatError {
    return new TraceFormatError('invalid-line', `${this.what}: ${message}`, { line: this.line });
  }

  private get(key: string, optional: boolean): unknown {
    this.used.add(key);
    const value = this.object[key];
    if (value === undefined && !optional) throw this.fail(`missing "${key}"`);
    return value;
  }

  id(key: string, optional = false): number | undefined {
    const value = this.get(key, optional);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
      throw this.fail(`"${key}" must be an integer in [0, 2^32-1], got ${JSON.stringify(value)}`);
    }
    return value;
  }

  u64(key: string): bigint {
    const value = this.get(key, false);
    if (typeof value === 'string') {
      if (/^(0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20})$/.test(value)) {
        const parsed = BigInt(value);
        if (parsed < 1n << 64n) return parsed;
      }
      throw this.fail(`"${key}" must be a decimal or 0x-hex string of a value below 2^64, got ${JSON.stringify(value)}`);
    }
    // Plain JSON numbers are accepted only where they are exact.
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
    throw this.fail(`"${key}" must be a decimal or 0x-hex string (or an exact non-negative integer), got ${JSON.stringify(value)}`);
  }

  string(key: string): string {
    const value = this.get(key, false);
    if (typeof value !== 'string') throw this.fail(`"${key}" must be a string, got ${JSON.stringify(value)}`);
    return value;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.get(key, false);
    if (!allowed.includes(value as T)) {
      throw this.fail(`"${key}" must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}`);
    }
    return value as T;
  }

  boolean(key: string): boolean {
    const value = this.get(key, false);
    if (typeof value !== 'boolean') throw this.fail(`"${key}" must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }

  perms(key: string): number {
    const text = this.string(key);
    let perms = 0;
    for (const letter of text) {
      const bit = PERM_LETTERS.indexOf(letter as (typeof PERM_LETTERS)[number]);
      if (bit < 0 || perms & (1 << bit)) {
        throw this.fail(`"${key}" must be distinct letters from "rwxu", got ${JSON.stringify(text)}`);
      }
      perms |= 1 << bit;
    }
    return perms;
  }

  json(key: string): JsonValue | undefined {
    return this.get(key, true) as JsonValue | undefined;
  }

  /** Rejects keys the schema does not define (typos, fields from another version). */
  done(): void {
    for (const key of Object.keys(this.object)) {
      if (!this.used.has(key)) throw this.fail(`unknown field "${key}"`);
    }
  }
}

/** JSON-parses one line into an object, or throws with the line number. */
export function parseJsonObject(text: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TraceFormatError('invalid-line', `not valid JSON: ${(error as Error).message}`, { line });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TraceFormatError('invalid-line', 'each line must be a JSON object', { line });
  }
  return value as Record<string, unknown>;
}

export function parseHeaderObject(object: Record<string, unknown>, line: number): TraceHeader {
  const f = new Fields(object, line, 'header');
  if (f.string('type') !== 'header') throw f.fail('the first line must be the header ("type": "header")');
  if (f.string('format') !== NDJSON_FORMAT) throw f.fail(`"format" must be "${NDJSON_FORMAT}"`);
  const version = f.id('version') as number;
  if (version !== NDJSON_VERSION) {
    throw new TraceFormatError('unsupported-version', `NDJSON trace version ${version} is not supported (this reader reads ${NDJSON_VERSION})`, { line });
  }
  const header: TraceHeader = { version, creator: f.string('creator'), seed: f.u64('seed') };
  const metadata = f.json('metadata');
  if (metadata !== undefined) header.metadata = metadata;
  f.done();
  return header;
}

export function parseRecordObject(object: Record<string, unknown>, line: number): TraceRecord {
  const type = object.type;
  const f = new Fields(object, line, typeof type === 'string' ? type : 'record');
  let record: TraceRecord;
  switch (f.oneOf('type', ['map', 'unmap', 'invalidate', 'dma', 'header'] as const)) {
    case 'header':
      throw f.fail('a header may only appear on the first line');
    case 'map':
      record = { type: 'map', space: f.id('space')!, iova: f.u64('iova'), addr: f.u64('addr'), length: f.u64('length'), perms: f.perms('perms') };
      break;
    case 'unmap':
      record = { type: 'unmap', space: f.id('space')!, iova: f.u64('iova'), length: f.u64('length') };
      break;
    case 'invalidate': {
      const kind = f.oneOf('kind', INVALIDATE_KINDS);
      if (kind === 'range') {
        record = { type: 'invalidate', kind, space: f.id('space')!, iova: f.u64('iova'), length: f.u64('length'), leafOnly: f.boolean('leafOnly') };
      } else if (kind === 'space') {
        record = { type: 'invalidate', kind, space: f.id('space')! };
      } else if (kind === 'group') {
        record = { type: 'invalidate', kind, group: f.id('group')! };
      } else {
        record = { type: 'invalidate', kind };
      }
      break;
    }
    case 'dma': {
      const device = f.id('device')!;
      const pasid = f.id('pasid', true);
      const iova = f.u64('iova');
      const length = f.u64('length');
      const access = f.oneOf('access', DMA_ACCESSES);
      record = pasid === undefined ? { type: 'dma', device, iova, length, access } : { type: 'dma', device, pasid, iova, length, access };
      break;
    }
  }
  f.done();
  try {
    validateRecord(record);
  } catch (error) {
    throw f.fail((error as Error).message);
  }
  return record;
}

