// Identifiers are UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then randomness. They sort
// by creation time, so the primary-key index doubles as a time index and cursors can page by id.
// Within one process ids are strictly increasing (RFC 9562 §6.2, method 1: a counter in rand_a).
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(16 * 256);
let poolOffset = pool.length;
let lastMs = 0;
let counter = 0;

function randomBytes16(): Buffer {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = Buffer.from(pool.subarray(poolOffset, poolOffset + 16));
  poolOffset += 16;
  return bytes;
}

export function newId(): string {
  const now = Date.now();
  const bytes = randomBytes16();
  if (now > lastMs) {
    lastMs = now;
    counter = ((bytes[6]! & 0x0f) << 8) | bytes[7]!; // start the 12-bit counter at a random value
    counter &= 0x7ff; // leave headroom so a burst in one millisecond rarely overflows
  } else {
    counter++;
    if (counter > 0xfff) {
      lastMs++; // borrow the next millisecond rather than lose ordering
      counter = 0;
    }
  }
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** The creation time a UUIDv7 carries. */
export function idTime(id: string): Date {
  return new Date(parseInt(id.replace(/-/g, '').slice(0, 12), 16));
}

/** The smallest id created at or after `time`: ids compare like their creation times. */
export function firstIdAt(time: Date): string {
  const hex = Math.max(0, time.getTime()).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}
