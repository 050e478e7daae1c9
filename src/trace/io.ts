// Where traces come from and go to, without a Node module: this file is part of the
// browser-safe trace entry. Readers take bytes in memory or a stream of byte chunks
// (a Node Readable, a web ReadableStream, any iterable or async iterable); writers a
// Node-style Writable or a web WritableStream. File paths are the Node entry's
// (trace/node.ts: fileSource, fileDestination). Nothing here buffers more than one
// incoming chunk, and text readers one line (at most MAX_TEXT_LINE_LENGTH) besides.

import { TraceFormatError } from './errors.js';

export type ByteChunk = Uint8Array | string;

/** A trace's bytes: all of them, or chunks from a stream or iterable. */
export type ByteSource = Uint8Array | AsyncIterable<ByteChunk> | Iterable<ByteChunk> | ReadableStream<ByteChunk>;

/**
 * The part of a Node Writable the writers use (a Node stream, or anything that acts
 * like one: write() returns false when full and 'drain' follows).
 */
export interface WritableLike {
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  // Listeners typed as Node's are, so a Node stream fits.
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  destroy?(error?: Error): unknown;
  readonly destroyed?: boolean;
  readonly closed?: boolean;
  readonly writableFinished?: boolean;
}

export type ByteDestination = WritableLike | WritableStream<Uint8Array>;

/**
 * Streams the Node entry opened for a path, with the first error each emitted before
 * a writer took it (a file that cannot be created): the writer reports that error and
 * closes the stream on failure too.
 */
const ownedStreams = new WeakMap<object, { error?: Error }>();

/** Marks `stream` as opened for the caller (trace/node.ts): errors wait for the writer. */
export function adoptStream<T extends WritableLike>(stream: T): T {
  const state: { error?: Error } = {};
  stream.on('error', (error: Error) => {
    state.error ??= error;
  });
  ownedStreams.set(stream, state);
  return stream;
}

const FILE_HINT = "a string here would be a file path: open it with fileSource() / fileDestination() from 'iommu-wasm/trace/node'";

function isObject(value: unknown): value is Record<string | symbol, unknown> {
  return typeof value === 'object' && value !== null;
}

export function openByteSource(source: ByteSource): AsyncIterable<ByteChunk> {
  if (typeof source === 'string') throw new TypeError(`trace source: ${FILE_HINT}`);
  if (source instanceof Uint8Array) return (async function* () { yield source; })();
  if (isObject(source) && typeof source[Symbol.asyncIterator] === 'function') return source as AsyncIterable<ByteChunk>;
  if (isObject(source) && typeof (source as { getReader?: unknown }).getReader === 'function') {
    return readableStreamChunks(source as unknown as ReadableStream<ByteChunk>);
  }
  if (isObject(source) && typeof source[Symbol.iterator] === 'function') {
    const chunks = source as unknown as Iterable<ByteChunk>;
    return (async function* () { yield* chunks; })();
  }
  throw new TypeError('trace source: expected bytes (Uint8Array), a stream or an (async) iterable of byte chunks');
}

/** A web ReadableStream as chunks (not every browser iterates one); stopping early cancels it. */
async function* readableStreamChunks(stream: ReadableStream<ByteChunk>): AsyncGenerator<ByteChunk> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** Stops a stream we may have opened when the consumer stops early. */
export function releaseSource(stream: AsyncIterable<unknown>): void {
  const destroy = (stream as { destroy?: () => void }).destroy;
  if (typeof destroy === 'function') destroy.call(stream);
}

/**
 * Longest line a text reader accepts, in characters (UTF-16 code units, so bytes for
 * ASCII), line end excluded. Real lines are far shorter (the kernel formats an ftrace
 * line in one page; NDJSON records are under 200 characters, a header with its metadata
 * a few KiB); a longer one means the input is not line-oriented text, and holding it
 * would take memory without end.
 */
export const MAX_TEXT_LINE_LENGTH = 4 * 1024 * 1024;

function lineTooLong(lineNumber: number): TraceFormatError {
  return new TraceFormatError(
    'invalid-line',
    `line is longer than ${MAX_TEXT_LINE_LENGTH} characters: not a line-oriented text trace`,
    { line: lineNumber },
  );
}

/**
 * Yields the lines of a text source with 1-based numbers; CR LF and LF both end a line.
 * Linear in the input: each chunk is searched for line ends once, and the pieces of a
 * line that spans chunks are joined once, when it ends. A line longer than
 * MAX_TEXT_LINE_LENGTH is refused as soon as that much of it has arrived.
 */
export async function* textLines(source: ByteSource): AsyncGenerator<[line: string, lineNumber: number]> {
  const stream = openByteSource(source);
  // ignoreBOM keeps a leading byte-order mark in the text, as Node's StringDecoder did.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  // The line being read: its pieces from earlier chunks, and their total length.
  let pieces: string[] = [];
  let pending = 0;
  let lineNumber = 0;
  const hold = (piece: string): void => {
    pieces.push(piece);
    pending += piece.length;
    // One character more may still be the CR of a CR LF.
    if (pending > MAX_TEXT_LINE_LENGTH + 1) throw lineTooLong(lineNumber + 1);
  };
  const complete = (last: string): [string, number] => {
    const line = stripCr(pending === 0 ? last : pieces.join('') + last);
    pieces = [];
    pending = 0;
    if (line.length > MAX_TEXT_LINE_LENGTH) throw lineTooLong(lineNumber + 1);
    return [line, ++lineNumber];
  };
  try {
    for await (const chunk of stream) {
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        if (pending + nl - start > MAX_TEXT_LINE_LENGTH + 1) throw lineTooLong(lineNumber + 1);
        yield complete(text.slice(start, nl));
        start = nl + 1;
      }
      if (start < text.length) hold(start === 0 ? text : text.slice(start));
    }
    const rest = decoder.decode();
    if (rest.length > 0) hold(rest);
    if (pending > 0) yield complete('');
  } finally {
    releaseSource(stream);
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Splits in-memory text the same way textLines does (the same line length limit included). */
export function* splitLines(text: string): Generator<[line: string, lineNumber: number]> {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = stripCr(lines[i]);
    if (line.length > MAX_TEXT_LINE_LENGTH) throw lineTooLong(i + 1);
    yield [line, i + 1];
  }
}

const encoder = new TextEncoder();

/** One destination behind ByteOutput. */
interface Sink {
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes; ends the destination when the output owns its end. */
  close(): Promise<void>;
  abort(): void;
}

/**
 * A destination with awaited backpressure. Errors the destination reports at any time
 * surface on the next write or on close instead of crashing the process.
 */
export class ByteOutput {
  private readonly sink: Sink;
  bytesWritten = 0;

  /** `endStream`: end the destination on close (a stream the Node entry opened is always ended). */
  constructor(destination: ByteDestination, endStream = true) {
    if (typeof destination === 'string') throw new TypeError(`trace destination: ${FILE_HINT}`);
    if (isObject(destination) && typeof (destination as { getWriter?: unknown }).getWriter === 'function') {
      this.sink = webSink(destination as WritableStream<Uint8Array>, endStream);
    } else if (isObject(destination) && typeof destination.write === 'function' && typeof destination.on === 'function' && typeof destination.end === 'function') {
      const owned = ownedStreams.get(destination);
      this.sink = nodeSink(destination as unknown as WritableLike, endStream || owned !== undefined, owned);
    } else {
      throw new TypeError('trace destination: expected a Node Writable or a WritableStream');
    }
  }

  /** Writes `bytes`, which the caller must not modify afterwards. */
  async write(bytes: Uint8Array | string): Promise<void> {
    const data = typeof bytes === 'string' ? encoder.encode(bytes) : bytes;
    this.bytesWritten += data.length;
    await this.sink.write(data);
  }

  async close(): Promise<void> {
    await this.sink.close();
  }

  /** Gives up on the output: closes a file the Node entry opened, leaves a caller's stream alone. */
  abort(): void {
    this.sink.abort();
  }
}

function webSink(stream: WritableStream<Uint8Array>, endStream: boolean): Sink {
  const writer = stream.getWriter();
  return {
    async write(bytes) {
      await writer.ready;
      // The promise of one write settles when the stream has taken it; `ready` is the backpressure.
      writer.write(bytes).catch(() => undefined);
      await writer.ready;
    },
    async close() {
      if (endStream) await writer.close();
      else {
        await writer.ready;
        writer.releaseLock();
      }
    },
    abort() {
      writer.releaseLock();
    },
  };
}

function nodeSink(stream: WritableLike, endStream: boolean, owned: { error?: Error } | undefined): Sink {
  let failure = owned?.error;
  stream.on('error', (error: Error) => {
    failure ??= error;
  });
  const check = (): void => {
    if (failure) throw failure;
  };
  /** Resolves once one of `events` fires (the failure check then reports an error). */
  const once = (events: string[]): Promise<void> => new Promise((resolve) => {
    const done = (): void => {
      for (const event of events) stream.off(event, done);
      resolve();
    };
    for (const event of events) stream.on(event, done);
  });
  return {
    async write(bytes) {
      check();
      if (!stream.write(bytes)) await once(['drain', 'close', 'error']);
      check();
    },
    async close() {
      check();
      if (endStream) {
        if (!stream.writableFinished) {
          const finished = once(['finish', 'close', 'error']);
          stream.end();
          await finished;
          check();
          if (!stream.writableFinished) throw new Error('trace destination closed before all bytes were written');
        }
        // A stream that destroys itself once finished (a file: destroy() runs right
        // after 'finish') is closed when 'close' fires: wait for it, so the file is
        // complete and released when close() returns.
        if (stream.destroyed && stream.closed === false) await once(['close', 'error']);
      }
      check();
    },
    abort() {
      if (owned) stream.destroy?.();
    },
  };
}
