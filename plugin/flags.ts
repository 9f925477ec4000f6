// Flag value parsers for commander: each refuses a bad value with a message that names the flag and
// says what it takes (commander prints it as `error: option '--gpu <count>' argument 'x' is invalid. …`).
import { InvalidArgumentError } from 'commander';

/** A whole number in [min, max]. */
export function wholeNumber(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^[0-9]+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} takes a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

/** A decimal number in [min, max]. */
export function decimal(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} takes a number from ${min} to ${max}.`);
    }
    return n;
  };
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A Go-style duration as kubectl's --timeout takes it (`90s`, `10m`, `1h30m`), in milliseconds. */
export function duration(flag: string): (value: string) => number {
  return (value) => {
    const parts = [...value.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
    const whole = parts.map((p) => p[0]).join('');
    if (parts.length === 0 || whole !== value.trim()) {
      throw new InvalidArgumentError(`${flag} takes a duration such as 90s, 10m or 1h30m.`);
    }
    return parts.reduce((ms, p) => ms + Number(p[1]) * UNITS[p[2]!]!, 0);
  };
}

/** One of a few words. */
export function oneOf<T extends string>(flag: string, values: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(values as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${flag} takes one of: ${values.join(', ')}.`);
    }
    return value as T;
  };
}
