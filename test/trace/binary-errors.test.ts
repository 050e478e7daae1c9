import { describe, expect, it } from 'vitest';
import { encodeBinaryTrace } from '../../src/trace/binary/index.js';
import { crc32 } from '../../src/trace/binary/crc32.js';
import { TraceFormatError } from '../../src/trace/errors.js';
import type { TraceRecord } from '../../src/trace/records.js';
import { readAll, readError } from './helpers.js';
import { mapUnmapTrace, nicRingTrace } from './workloads.js';

const records: TraceRecord[] = [
  ...mapUnmapTrace(4),
  ...nicRingTrace(6),
  { type: 'invalidate', kind: 'space', space: 1 },
  { type: 'invalidate', kind: 'group', group: 9 },
  { type: 'invalidate', kind: 'all' },
  { type: 'dma', device: 7, pasid: 3, iova: 0x1234_5678_9abc_def0n, length: 8n, access: 'exec' },
];

/** A small trace with several chunks, so frames, payloads and the trailer all appear. */
async function smallTrace(): Promise<Uint8Array> {
  return encodeBinaryTrace({ creator: 'errors', seed: 42n, metadata: { k: [1, 2] } }, records, { chunkBytes: 40 });
}

/** Offsets of the structures in a trace, found by walking the frames. */
function layoutOf(bytes: Uint8Array): { headerEnd: number; chunks: { at: number; payloadLength: number }[]; trailerAt: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerEnd = 16 + view.getUint32(12, true) + 4;
  const chunks: { at: number; payloadLength: number }[] = [];
  let at = headerEnd;
  while (bytes[at] === 0x43) {
    const payloadLength = view.getUint32(at + 1, true);
    chunks.push({ at, payloadLength });
    at += 17 + payloadLength;
  }
  return { headerEnd, chunks, trailerAt: at };
}

/** Rewrites a little-endian u32 field in place. */
function putU32(bytes: Uint8Array, at: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value, true);
}

describe('binary trace errors', () => {
  it('reads the sample cleanly, so the failures below are the mutations', async () => {
    const bytes = await smallTrace();
    expect((await readAll(bytes)).records).toEqual(records);
    expect(layoutOf(bytes).chunks.length).toBeGreaterThan(3);
  });

  it('reports truncation at every byte position, with the offset where the file ends', async () => {
    const bytes = await smallTrace();
    for (let cut = 0; cut < bytes.length; cut++) {
      const error = await readError(bytes.subarray(0, cut));
      expect(error.kind, `cut at ${cut}: ${error.message}`).toBe('truncated');
      expect(error.offset, `cut at ${cut}`).toBe(cut);
    }
  });

  it('rejects a wrong magic', async () => {
    const bytes = (await smallTrace()).slice();
    bytes[1] = 0x58;
    const error = await readError(bytes);
    expect(error.kind).toBe('bad-magic');
    expect(error.offset).toBe(1);
    expect(error.message).toMatch(/magic/);

    const text = new TextEncoder().encode('{"type":"header","version":1}\n');
    expect((await readError(text)).kind).toBe('bad-magic');
  });

  it('rejects another major version, after checking the header is intact', async () => {
    const bytes = (await smallTrace()).slice();
    const { headerEnd } = layoutOf(bytes);
    bytes[8] = 2;
    putU32(bytes, headerEnd - 4, crc32(bytes, 0, headerEnd - 4));
    const error = await readError(bytes);
    expect(error.kind).toBe('unsupported-version');
    expect(error.offset).toBe(8);
    expect(error.message).toMatch(/version 2\.0 is not supported/);
  });

  it('reads a newer minor version and skips the header fields it adds', async () => {
    const original = await smallTrace();
    const { headerEnd } = layoutOf(original);
    const bodyLength = headerEnd - 20;
    const extra = Uint8Array.of(0xaa, 0xbb, 0xcc);
    const bytes = new Uint8Array(original.length + extra.length);
    bytes.set(original.subarray(0, 16 + bodyLength));
    bytes.set(extra, 16 + bodyLength);
    bytes.set(original.subarray(headerEnd), headerEnd + extra.length);
    bytes[10] = 1; // minor 1
    putU32(bytes, 12, bodyLength + extra.length);
    putU32(bytes, headerEnd - 4 + extra.length, crc32(bytes, 0, headerEnd - 4 + extra.length));
    const back = await readAll(bytes);
    expect(back.records).toEqual(records);
    expect(back.header.creator).toBe('errors');
  });

  it('reports a flipped payload byte as a CRC error at the chunk offset', async () => {
    const bytes = (await smallTrace()).slice();
    const chunk = layoutOf(bytes).chunks[2];
    bytes[chunk.at + 17 + 1] ^= 0x10;
    const error = await readError(bytes);
    expect(error.kind).toBe('corrupted');
    expect(error.offset).toBe(chunk.at);
    expect(error.message).toMatch(/chunk payload CRC mismatch/);
    expect(error.message).toContain(`payload at offset ${chunk.at + 17}`);
  });

  it('reports a damaged chunk length as corruption, not as truncation', async () => {
    const bytes = (await smallTrace()).slice();
    const chunk = layoutOf(bytes).chunks[1];
    bytes[chunk.at + 4] ^= 0x01; // high byte of the payload length
    const error = await readError(bytes);
    expect(error.kind).toBe('corrupted');
    expect(error.offset).toBe(chunk.at);
    expect(error.message).toMatch(/frame CRC/);
  });

  it('detects every single flipped bit anywhere in the file', async () => {
    const bytes = await smallTrace();
    for (let at = 0; at < bytes.length; at++) {
      for (const bit of [0x01, 0x80]) {
        const damaged = bytes.slice();
        damaged[at] ^= bit;
        const error = await readError(damaged);
        expect(error).toBeInstanceOf(TraceFormatError);
        if (at >= 12 && at < 16 && error.kind === 'truncated') {
          // A header body length made longer than the file reads as a file cut inside
          // the header: the header CRC that would tell the two apart lies past the end.
          expect(error.message, `flip at ${at}`).toMatch(/file ends inside the header/);
        } else {
          expect(error.offset, `flip at ${at}`).toBeLessThanOrEqual(at);
        }
      }
    }
  });

  it('reports an unknown record type with its offset', async () => {
    const original = await smallTrace();
    const { headerEnd } = layoutOf(original);
    // A hand-built chunk: one good map record, then type byte 0x05.
    const payload = Uint8Array.of(0x10, 0x01, 0x03, 0x00, 0x00, 0x80, 0x20, 0x05);
    const frame = new Uint8Array(17 + payload.length);
    frame[0] = 0x43;
    putU32(frame, 1, payload.length);
    putU32(frame, 5, 2);
    putU32(frame, 9, crc32(payload));
    putU32(frame, 13, crc32(frame, 0, 13));
    frame.set(payload, 17);
    const bytes = new Uint8Array(headerEnd + frame.length);
    bytes.set(original.subarray(0, headerEnd));
    bytes.set(frame, headerEnd);
    const error = await readError(bytes);
    expect(error.kind).toBe('unknown-record');
    expect(error.offset).toBe(headerEnd + 17 + 7);
    expect(error.message).toMatch(/unknown record type 0x05/);
  });

  it('rejects bytes after the trailer', async () => {
    const original = await smallTrace();
    const bytes = new Uint8Array(original.length + 1);
    bytes.set(original);
    const error = await readError(bytes);
    expect(error.kind).toBe('corrupted');
    expect(error.offset).toBe(original.length);
  });

  it('notices a chunk missing as a whole', async () => {
    const original = await smallTrace();
    const { chunks } = layoutOf(original);
    const drop = chunks[1];
    const bytes = new Uint8Array(original.length - 17 - drop.payloadLength);
    bytes.set(original.subarray(0, drop.at));
    bytes.set(original.subarray(drop.at + 17 + drop.payloadLength), drop.at);
    const error = await readError(bytes);
    expect(error.kind).toBe('corrupted');
    expect(error.message).toMatch(/trailer counts/);
  });
});
