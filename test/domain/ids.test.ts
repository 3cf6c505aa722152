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

  it('ends a string at a quote after an even run of backslashes, not after an odd one', () => {
    // "x\\" is x and one backslash: the next quote closes it, and [[1]] counts.
    expect(jsonDepth('{"a":"x\\\\","b":[[1]]}')).toBe(3);
    // "x\\\"[[" is one string: x, a backslash, a quote and two brackets.
    expect(jsonDepth('{"a":"x\\\\\\"[[","b":1}')).toBe(1);
    expect(jsonDepth('["unterminated')).toBe(1);
  });
});

import { arrayElementSpans, objectMemberSpans } from '../../src/domain/json.ts';

describe('raw JSON spans', () => {
  const raw = (text: string, key: string) => {
    const span = objectMemberSpans(text, 0).get(key)!;
    return text.slice(span.start, span.end);
  };

  it('find each member value exactly as written', () => {
    const text = ' { "type" : "a.b", "data" : {"b":1,"a":[1e400, 12345678901234567890, "x\\"}"],"a":2} , "z":null }';
    expect(raw(text, 'type')).toBe('"a.b"');
    expect(raw(text, 'data')).toBe('{"b":1,"a":[1e400, 12345678901234567890, "x\\"}"],"a":2}');
    expect(raw(text, 'z')).toBe('null');
  });

  it('end a string value at its closing quote, even right after an escaped backslash', () => {
    const text = '{"a":"x\\\\","b":["\\"",2],"c\\"d":3}';
    expect(JSON.parse(text)).toEqual({ a: 'x\\', b: ['"', 2], 'c"d': 3 });
    expect(raw(text, 'a')).toBe('"x\\\\"');
    expect(raw(text, 'b')).toBe('["\\"",2]');
    expect(raw(text, 'c"d')).toBe('3');
  });

  it('take the last of repeated keys, as JSON.parse does', () => {
    expect(raw('{"data":1,"data":[2]}', 'data')).toBe('[2]');
  });

  it('find array elements', () => {
    const text = '[ {"data":"x"}, 3 ,"s" ]';
    expect(arrayElementSpans(text, 0).map((s) => text.slice(s.start, s.end))).toEqual(['{"data":"x"}', '3', '"s"']);
    expect(arrayElementSpans('[]', 0)).toEqual([]);
  });
});
