// One error class for every malformed trace input, whatever the form, so a
// caller can tell "this file is bad" from a bug or an I/O failure with a single
// instanceof. Binary inputs locate the problem by byte offset, text inputs by
// line number.

export type TraceErrorKind =
  | 'truncated'
  | 'bad-magic'
  | 'unsupported-version'
  | 'corrupted'
  | 'unknown-record'
  | 'invalid-line';

export interface TraceErrorLocation {
  /** Byte offset from the start of the file (binary form). */
  offset?: number;
  /** 1-based line number (NDJSON and ftrace text). */
  line?: number;
}

export class TraceFormatError extends Error {
  readonly kind: TraceErrorKind;
  readonly offset: number | undefined;
  readonly line: number | undefined;

  constructor(kind: TraceErrorKind, message: string, where: TraceErrorLocation) {
    const place =
      where.offset !== undefined ? `at byte offset ${where.offset}` : where.line !== undefined ? `at line ${where.line}` : '';
    super(place ? `${message} (${place})` : message);
    this.name = 'TraceFormatError';
    this.kind = kind;
    this.offset = where.offset;
    this.line = where.line;
  }
}
