// The CRC stops accidental damage, but a payload can still be wrong on purpose
// or come from a buggy writer. Whatever the bytes, decoding must end in records
// or a TraceFormatError, never in another exception or a hang.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChunk } from '../../src/trace/binary/record-decoder.js';
import { TraceFormatError } from '../../src/trace/errors.js';

function decodesOrReports(payload: Uint8Array, count: number): void {
  try {
    const records = decodeChunk(payload, count, 1000);
    expect(records).toHaveLength(count);
  } catch (error) {
    expect(error).toBeInstanceOf(TraceFormatError);
    const e = error as TraceFormatError;
    expect(e.offset).toBeGreaterThanOrEqual(1000);
    expect(e.offset).toBeLessThanOrEqual(1000 + payload.length);
  }
}

describe('chunk payload decoder on arbitrary bytes', () => {
  it('returns records or a TraceFormatError with an offset inside the payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 60 }), (payload, count) => {
        decodesOrReports(payload, count);
      }),
      { numRuns: 5000 },
    );
  });

  it('does the same for payloads made mostly of valid type bytes', () => {
    const typeByte = fc.constantFrom(0x10, 0x1f, 0x20, 0x29, 0x30, 0x3c, 0x31, 0x32, 0x33, 0x80, 0xa8, 0xcc, 0xff, 0x98);
    const payload = fc
      .array(fc.oneof(typeByte, fc.integer({ min: 0, max: 255 })), { maxLength: 120 })
      .map((bytes) => Uint8Array.from(bytes));
    fc.assert(
      fc.property(payload, fc.nat({ max: 40 }), (bytes, count) => {
        decodesOrReports(bytes, count);
      }),
      { numRuns: 5000 },
    );
  });

  it('rejects varints longer than a u64', () => {
    // map, space 1, perms 0, then an iova delta of eleven 7-bit groups.
    const tooLong = Uint8Array.of(0x10, 0x01, 0x00, ...Array(10).fill(0xff), 0x7f, 0x00, 0x00);
    expect(() => decodeChunk(tooLong, 1, 0)).toThrow(/map iova delta varint is too long/);
    // Ten groups whose last one carries bits above 2^64.
    const tooBig = Uint8Array.of(0x10, 0x01, 0x00, ...Array(9).fill(0xff), 0x02, 0x00, 0x00);
    expect(() => decodeChunk(tooBig, 1, 0)).toThrow(/map iova delta exceeds 2\^64-1/);
  });
});
