// Shared vocabulary of the structure decoders: a decode either yields a value or an
// architectural fault reason, and reads guest-programmed memory through one function.

/** Reads one 64-bit word of host physical memory; undefined when the frame is not backed. */
export type ReadWord = (pa: bigint) => bigint | undefined;

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: number };

export function ok<T>(value: T): Decoded<T> {
  return { ok: true, value };
}

export function fail<T>(reason: number): Decoded<T> {
  return { ok: false, reason };
}

/** Reads `count` consecutive words, or undefined when any of them is not backed. */
export function readWords(read: ReadWord, pa: bigint, count: number): bigint[] | undefined {
  const words: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const word = read(pa + BigInt(i * 8));
    if (word === undefined) return undefined;
    words.push(word);
  }
  return words;
}
