// CSV export (RFC 4180).
import { describe, expect, it } from 'vitest';
import { toCsv } from '../../src/report/csv.js';

describe('toCsv', () => {
  it('writes a header and rows with CRLF line ends', () => {
    expect(toCsv(['a', 'b'], [[1, 'x'], [2.5, 'y']])).toBe('a,b\r\n1,x\r\n2.5,y\r\n');
  });

  it('quotes fields with commas, quotes and line breaks, doubling inner quotes', () => {
    expect(toCsv(['name, full', 'note'], [['say "hi"', 'two\nlines'], ['cr\r', 'plain']]))
      .toBe('"name, full",note\r\n"say ""hi""","two\nlines"\r\n"cr\r",plain\r\n');
  });

  it('writes numbers in full precision and non-finite numbers as empty fields', () => {
    expect(toCsv(['v'], [[0.1 + 0.2], [NaN], [Infinity], [-3]])).toBe('v\r\n0.30000000000000004\r\n\r\n\r\n-3\r\n');
  });
});
