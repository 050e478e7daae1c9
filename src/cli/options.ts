// Option parsers for commander's argParser: every option is checked where it is
// parsed, and a bad value is a usage error (exit 2) whose one line names the option
// (commander prefixes "option '--x <v>' argument 'y' is invalid.") and says what to
// give instead. Loaded after the commander peer is checked (src/cli/main.ts).
import { InvalidArgumentError } from 'commander';

/** A usage error raised while parsing an option value. */
export function invalid(message: string): never {
  throw new InvalidArgumentError(message);
}

/**
 * A relative threshold: "0.05" or "5%". `max` is exclusive: a value at or above it
 * could never trigger (a speed ratio cannot drop by 100% or more), so it is refused
 * rather than silently switching the check off.
 */
export function fraction(what: string, max = Infinity): (value: string) => number {
  return (value) => {
    const text = value.trim();
    const percent = text.endsWith('%');
    const number = Number(percent ? text.slice(0, -1) : text);
    const n = percent ? number / 100 : number;
    const range = max === Infinity ? '>= 0' : `from 0 up to (not including) ${max}`;
    if (text === '' || text === '%' || !Number.isFinite(n) || n < 0) {
      invalid(`${what} is a fraction ${range}, e.g. 0.05 or 5%.`);
    }
    if (n >= max) {
      invalid(`${what} is a fraction ${range}, so ${value} could never trigger${percent ? '' : `; for ${value}% give ${n / 100} or ${value}%`}.`);
    }
    return n;
  };
}

/** A finite number > 0 (milliseconds and the like). */
export function positiveNumber(what: string): (value: string) => number {
  return (value) => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isFinite(n) || n <= 0) invalid(`${what} must be a number > 0.`);
    return n;
  };
}

/** A whole number in [min, max]. */
export function integer(what: string, min: number, max: number = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      invalid(`${what} must be a whole number ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}.`);
    }
    return n;
  };
}

/** A variadic option whose every value must be one of `known`. */
export function oneOfEach(what: string, known: readonly string[]): (value: string, previous: string[] | undefined) => string[] {
  return (value, previous) => {
    if (!known.includes(value)) invalid(`unknown ${what} "${value}"; known: ${known.join(', ')}.`);
    return [...(previous ?? []), value];
  };
}
