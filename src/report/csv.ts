// CSV as RFC 4180 writes it: comma-separated, CRLF line ends, a field quoted when it
// holds a comma, a quote, CR or LF, with inner quotes doubled. Spreadsheets and
// pandas read it without options.

/** One CSV document: a header line, then one line per row; ends with CRLF. */
export function toCsv(headers: string[], rows: (string | number)[][]): string {
  return [headers, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export function csvField(value: string | number): string {
  const text = typeof value === 'number' ? numberText(value) : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Numbers in full precision; NaN and infinities as empty fields a reader takes as missing. */
function numberText(n: number): string {
  return Number.isFinite(n) ? String(n) : '';
}
