import { describe, expect, it } from 'vitest';
import { idTime, isUuid, newId } from '../../src/domain/ids.ts';
import { decodeCursor, encodeCursor, toPage } from '../../src/domain/cursor.ts';
import { jsonDepth } from '../../src/domain/json.ts';

describe('ids', () => {
  it('are UUIDv7, increasing within a process even in the same millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => newId());
    for (const id of ids) expect(isUuid(id)).toBe(true);
    expect(ids[0]![14]).toBe('7');
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.abs(idTime(ids[0]!).getTime() - Date.now())).toBeLessThan(5_000);
  });
});

describe('cursors', () => {
  it('round-trip and refuse anything else', () => {
    expect(decodeCursor(encodeCursor(['a', 3]), ['string', 'number'])).toEqual(['a', 3]);
    expect(() => decodeCursor('garbage', ['string'])).toThrow(/cursor is not valid/);
    expect(() => decodeCursor(encodeCursor([3]), ['string'])).toThrow(/cursor is not valid/);
  });

  it('pages cut at the limit', () => {
    expect(toPage([1, 2, 3], 2, (n) => [n])).toEqual({ data: [1, 2], nextCursor: encodeCursor([2]) });
    expect(toPage([1, 2], 2, (n) => [n])).toEqual({ data: [1, 2], nextCursor: null });
  });
});

describe('jsonDepth', () => {
  it('counts nesting and ignores brackets inside strings', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(jsonDepth('{"a":"[[[[{{{\\"]]"}')).toBe(1);
    expect(jsonDepth('['.repeat(65) + ']'.repeat(65))).toBe(65);
  });
});
