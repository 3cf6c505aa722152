import { describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.ts';
import { decodeTypedId, encodeTypedId } from '../../src/domain/typedIds.ts';

describe('typed ids (prefix + Crockford base32 of the UUID, ULID style)', () => {
  it('encode to the prefix and 26 canonical characters, and decode back to the same UUID', () => {
    for (let i = 0; i < 1000; i++) {
      const uuid = newId();
      const typed = encodeTypedId('whn', uuid);
      expect(typed).toMatch(/^whn_[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
      expect(decodeTypedId('whn', typed)).toBe(uuid);
    }
  });

  it('match the ULID encoding of known values at both ends of the range', () => {
    expect(encodeTypedId('whs', '00000000-0000-0000-0000-000000000000')).toBe('whs_00000000000000000000000000');
    expect(encodeTypedId('whs', 'ffffffff-ffff-ffff-ffff-ffffffffffff')).toBe('whs_7ZZZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(encodeTypedId('whs', '00000000-0000-0000-0000-00000000001f')).toBe('whs_0000000000000000000000000Z');
    expect(encodeTypedId('whs', '00000000-0000-0000-0000-000000000020')).toBe('whs_00000000000000000000000010');
    // A ULID and the UUID of its 128 bits (ulid/spec's example value).
    expect(decodeTypedId('x', 'x_01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe('01563e3a-b5d3-d676-4c61-efb99302bd5b');
    expect(decodeTypedId('whs', 'whs_7ZZZZZZZZZZZZZZZZZZZZZZZZZ')).toBe('ffffffff-ffff-ffff-ffff-ffffffffffff');
  });

  it('keep creation order: typed ids of UUIDv7s sort like the UUIDs', () => {
    const uuids = Array.from({ length: 200 }, () => newId());
    const typed = uuids.map((u) => encodeTypedId('whn', u));
    expect([...typed].sort()).toEqual(typed);
  });

  it('refuse anything that is not the canonical form of an id with this prefix', () => {
    const good = encodeTypedId('whn', newId());
    const body = good.slice(4);
    for (const bad of [
      body, // no prefix
      `whs_${body}`, // another prefix
      `WHN_${body}`,
      `whn${body}`,
      `whn_${body.toLowerCase()}`, // not canonical case
      `whn_${body.slice(1)}`, // 25 characters
      `whn_${body}0`, // 27 characters
      `whn_8${body.slice(1)}`, // more than 128 bits
      `whn_${body.slice(0, 25)}I`, // I, L, O, U are not Crockford digits
      `whn_${body.slice(0, 25)}L`,
      `whn_${body.slice(0, 25)}O`,
      `whn_${body.slice(0, 25)}U`,
      `whn_${body.slice(0, 25)} `,
      'whn_X01JTK7NABCDEF1234567890', // the documents' placeholders are not ids
      'whn_',
      '',
    ]) {
      expect(decodeTypedId('whn', bad), bad).toBeNull();
    }
  });

  it('refuses to encode what is not a UUID', () => {
    expect(() => encodeTypedId('whn', 'not-a-uuid')).toThrow(/not a UUID/);
  });
});
