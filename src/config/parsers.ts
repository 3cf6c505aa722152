// Parsers for configuration values. Each turns the raw environment string into a typed value
// or throws an Error whose message says what was expected; loadConfig adds the variable's name.
import ipaddr from 'ipaddr.js';

export type Parser<T> = (raw: string) => T;

export const text: Parser<string> = (raw) => raw;

export function integer(min: number, max: number): Parser<number> {
  return (raw) => {
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
      throw new Error(`must be an integer from ${min} to ${max}`);
    }
    return value;
  };
}

export const boolean: Parser<boolean> = (raw) => {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off', ''].includes(value)) return false;
  throw new Error('must be true or false');
};

export function oneOf<const T extends string>(...choices: T[]): Parser<T> {
  return (raw) => {
    if ((choices as string[]).includes(raw)) return raw as T;
    throw new Error(`must be one of ${choices.join(', ')}`);
  };
}

/** A comma-separated list whose items are each one of `choices`, without repeats. */
export function setOf<const T extends string>(...choices: T[]): Parser<T[]> {
  return (raw) => {
    const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
    if (items.length === 0) throw new Error(`must list at least one of ${choices.join(', ')}`);
    for (const item of items) {
      if (!(choices as string[]).includes(item)) {
        throw new Error(`"${item}" is not one of ${choices.join(', ')}`);
      }
    }
    return [...new Set(items)] as T[];
  };
}

/** Comma-separated CIDR ranges such as `127.0.0.0/8,::1/128`. */
export const cidrList: Parser<string[]> = (raw) => {
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    try {
      ipaddr.parseCIDR(item);
    } catch {
      throw new Error(`"${item}" is not a CIDR range such as 10.0.0.0/8 or fd00::/8`);
    }
  }
  return items;
};

export const postgresUrl: Parser<string> = (raw) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('must be a URL such as postgres://user:password@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error('must start with postgres:// or postgresql://');
  }
  return raw;
};

/** A 32-byte key given as base64 (44 characters) or hex (64 characters). */
export const key32: Parser<Buffer> = (raw) => {
  const value = raw.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (bytes.length !== 32) throw new Error('must be 32 bytes, as base64 (44 characters) or hex (64 characters)');
  return bytes;
};

/** Durations like `15s`, `500ms`, `2m`, `24h`, `7d`, or a bare number of milliseconds. */
export function parseDuration(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!match) throw new Error(`"${raw}" is not a duration such as 500ms, 15s, 2m, 24h or 7d`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 'ms'];
  return Math.round(Number(match[1]) * unit!);
}

export function duration(minMs: number, maxMs: number): Parser<number> {
  return (raw) => {
    const ms = parseDuration(raw);
    if (ms < minMs || ms > maxMs) throw new Error(`must be between ${minMs} ms and ${maxMs} ms`);
    return ms;
  };
}

/** A comma-separated list of durations, e.g. the retry schedule `0,5s,30s,2m`. */
export const durationList: Parser<number[]> = (raw) => {
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new Error('must list at least one duration');
  return items.map(parseDuration);
};
