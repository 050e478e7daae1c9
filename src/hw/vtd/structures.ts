// Shared vocabulary of the structure decoders: a decode either yields a value or an
// architectural fault reason (src/hw/common's Decoded), and reads guest-programmed
// memory through one function.
import { decoded, refused, type Decoded } from '../common/decoded.js';

export type { Decoded };

/** Reads one 64-bit word of host physical memory; undefined when the frame is not backed. */
export type ReadWord = (pa: bigint) => bigint | undefined;

/** A decoded structure. */
export const ok = decoded;

/** A structure the unit refuses, with the VT-d fault reason it reports. */
export const fail = (reason: number): Decoded<never> => refused(reason);

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
