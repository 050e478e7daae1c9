// Parsers for comma-separated option values (--workloads sva,vm): every item is
// checked where the option is parsed, and a bad one is a one-line usage error (exit 2)
// naming the option and what it takes. Loaded after the commander peer is checked.
import { invalid } from './options.js';

function items(what: string, value: string): string[] {
  const list = value.split(',').map((s) => s.trim());
  if (list.some((s) => s === '')) invalid(`${what} is a comma-separated list with no empty items, e.g. ${what} a,b.`);
  return [...new Set(list)];
}

/** A list whose every item is one of `known`. */
export function listOf<T extends string>(what: string, known: readonly T[]): (value: string) => T[] {
  return (value) => {
    const list = items(what, value);
    const unknown = list.filter((s) => !known.includes(s as T));
    if (unknown.length) invalid(`${what}: unknown ${unknown.map((u) => `"${u}"`).join(', ')}; known: ${known.join(', ')}.`);
    return list as T[];
  };
}

/** A list of whole powers of two from `min` to `max`, sorted. */
export function powersOfTwo(what: string, min: number, max: number): (value: string) => number[] {
  return (value) => items(what, value).map((s) => {
    const n = /^\d+$/.test(s) ? Number(s) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max || (n & (n - 1)) !== 0) invalid(`${what}: "${s}" is not a power of two from ${min} to ${max}, e.g. ${what} 16,64,256.`);
    return n;
  }).sort((a, b) => a - b);
}
