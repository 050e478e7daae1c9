// Where traces come from and go to. Every reader takes a file path, a Node
// Readable or any async iterable of byte chunks; every writer a file path or a
// Node Writable. Nothing here buffers more than one incoming chunk.

import { createReadStream, createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export type ByteSource = string | Readable | AsyncIterable<Uint8Array | string>;
export type ByteDestination = string | Writable;

export function openByteSource(source: ByteSource): AsyncIterable<Uint8Array | string> {
  return typeof source === 'string' ? createReadStream(source) : source;
}

/** Stops a stream we may have opened when the consumer stops early. */
export function releaseSource(stream: AsyncIterable<unknown>): void {
  const destroy = (stream as { destroy?: () => void }).destroy;
  if (typeof destroy === 'function') destroy.call(stream);
}

/** Yields the lines of a text source with 1-based numbers; CR LF and LF both end a line. */
export async function* textLines(source: ByteSource): AsyncGenerator<[line: string, lineNumber: number]> {
  const stream = openByteSource(source);
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let lineNumber = 0;
  try {
    for await (const chunk of stream) {
      partial += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
      let start = 0;
      for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n', start)) {
        yield [stripCr(partial.slice(start, nl)), ++lineNumber];
        start = nl + 1;
      }
      partial = partial.slice(start);
    }
    partial += decoder.end();
    if (partial.length > 0) yield [stripCr(partial), ++lineNumber];
  } finally {
    releaseSource(stream);
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Splits in-memory text the same way textLines does. */
export function* splitLines(text: string): Generator<[line: string, lineNumber: number]> {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) yield [stripCr(lines[i]), i + 1];
}

/**
 * A Writable with awaited backpressure. Errors the stream emits at any time
 * surface on the next write or on close instead of crashing the process.
 */
export class ByteOutput {
  private failure: Error | undefined;
  private readonly ownsStream: boolean;
  readonly stream: Writable;
  bytesWritten = 0;

  constructor(destination: ByteDestination, private readonly endStream = true) {
    this.ownsStream = typeof destination === 'string';
    this.stream = typeof destination === 'string' ? createWriteStream(destination) : destination;
    this.stream.on('error', (error: Error) => {
      this.failure ??= error;
    });
  }

  /** Writes `bytes`, which the caller must not modify afterwards. */
  async write(bytes: Uint8Array | string): Promise<void> {
    if (this.failure) throw this.failure;
    this.bytesWritten += typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
    if (!this.stream.write(bytes)) await this.drained();
    if (this.failure) throw this.failure;
  }

  /** Resolves on drain, or on close/error (which the failure check then reports). */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        this.stream.off('error', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
      this.stream.on('error', done);
    });
  }

  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.ownsStream || this.endStream) {
      this.stream.end();
      await finished(this.stream);
    }
    if (this.failure) throw this.failure;
  }

  /** Gives up on the output: closes a file we opened, leaves a caller's stream alone. */
  abort(): void {
    if (this.ownsStream) this.stream.destroy();
  }
}
