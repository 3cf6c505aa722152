// Prefixed ("typed") ids for surfaces whose documents show them, such as `whs_…` and `whn_…`
// (seed 001). A typed id is `<prefix>_` + the 128 bits of a Herald UUID in Crockford base32, 26
// characters, most significant first — the ULID text encoding (https://github.com/ulid/spec). It is
// reversible, and since Herald's ids are UUIDv7, typed ids sort by creation time too.
//
// Only the canonical form decodes: upper-case Crockford digits (no I, L, O, U), exactly 26 of
// them, the first at most 7 (26 × 5 = 130 bits, the top two are zero). Anything else is not an id.
import { isUuid } from './ids.ts';

const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const canonical = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** `prefix_` + the Crockford base32 of `uuid`'s 128 bits. */
export function encodeTypedId(prefix: string, uuid: string): string {
  if (!isUuid(uuid)) throw new Error(`not a UUID: ${uuid}`);
  let n = BigInt(`0x${uuid.replace(/-/g, '')}`);
  const chars = new Array<string>(26);
  for (let i = 25; i >= 0; i--) {
    chars[i] = alphabet[Number(n & 31n)]!;
    n >>= 5n;
  }
  return `${prefix}_${chars.join('')}`;
}

/** The UUID (lower-case, hyphenated) a typed id with this prefix stands for, or null if it is not one. */
export function decodeTypedId(prefix: string, typed: string): string | null {
  if (!typed.startsWith(`${prefix}_`)) return null;
  const body = typed.slice(prefix.length + 1);
  if (!canonical.test(body)) return null;
  let n = 0n;
  for (const char of body) n = (n << 5n) | BigInt(alphabet.indexOf(char));
  const hex = n.toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
