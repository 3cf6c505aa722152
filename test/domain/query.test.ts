import { describe, expect, it } from 'vitest';
import { HeraldError } from '../../src/domain/errors.ts';
import { parseQuery, queryLimits, type Operator, type QueryNode } from '../../src/domain/query.ts';

const cmp = (field: string, operator: Operator, values: string[], position: number): QueryNode => ({
  kind: 'comparison',
  field,
  operator,
  values,
  position,
});
const and = (...children: QueryNode[]): QueryNode => ({ kind: 'and', children });
const or = (...children: QueryNode[]): QueryNode => ({ kind: 'or', children });

describe('parseQuery: valid queries', () => {
  const cases: [string, QueryNode][] = [
    ['eventType=="payment.sent"', cmp('eventType', '==', ['payment.sent'], 0)],
    ['eventType==payment.sent', cmp('eventType', '==', ['payment.sent'], 0)],
    ["eventType=='payment.sent'", cmp('eventType', '==', ['payment.sent'], 0)],
    ['a!=1', cmp('a', '!=', ['1'], 0)],
    ['a=gt=1', cmp('a', '=gt=', ['1'], 0)],
    ['a=ge=1', cmp('a', '=ge=', ['1'], 0)],
    ['a=lt=1', cmp('a', '=lt=', ['1'], 0)],
    ['a=le=1', cmp('a', '=le=', ['1'], 0)],
    ['a>1', cmp('a', '=gt=', ['1'], 0)],
    ['a>=1', cmp('a', '=ge=', ['1'], 0)],
    ['a<1', cmp('a', '=lt=', ['1'], 0)],
    ['a<=1', cmp('a', '=le=', ['1'], 0)],
    ['a=in=(1,2,3)', cmp('a', '=in=', ['1', '2', '3'], 0)],
    ['a=out=(x)', cmp('a', '=out=', ['x'], 0)],
    ['a=in=x', cmp('a', '=in=', ['x'], 0)],
    ['a=in=( 1 , "two" , \'three\' )', cmp('a', '=in=', ['1', 'two', 'three'], 0)],
    // Selectors: letters, digits, _ and . after a leading letter.
    ['payload.amount_2==5', cmp('payload.amount_2', '==', ['5'], 0)],
    // Unquoted values may hold anything but whitespace and the reserved characters.
    ['createdAt>2025-06-01T09:05:00+02:00', cmp('createdAt', '=gt=', ['2025-06-01T09:05:00+02:00'], 0)],
    ['type==payment.*', cmp('type', '==', ['payment.*'], 0)],
    ['a==50%_off\\x', cmp('a', '==', ['50%_off\\x'], 0)],
    // Quoting: reserved characters, whitespace, the other quote, backslash escapes.
    ['a=="x; y, (z) = !<>~"', cmp('a', '==', ['x; y, (z) = !<>~'], 0)],
    ['a=="it\'s"', cmp('a', '==', ["it's"], 0)],
    ["a=='say \"hi\"'", cmp('a', '==', ['say "hi"'], 0)],
    ['a=="say \\"hi\\""', cmp('a', '==', ['say "hi"'], 0)],
    ["a=='it\\'s'", cmp('a', '==', ["it's"], 0)],
    ['a=="back\\\\slash"', cmp('a', '==', ['back\\slash'], 0)],
    ['a=="\\n"', cmp('a', '==', ['n'], 0)],
    ['a==""', cmp('a', '==', [''], 0)],
    ['a=="und and or ,;"', cmp('a', '==', ['und and or ,;'], 0)],
    // Precedence: ; (and) binds tighter than , (or).
    ['a==1,b==2;c==3', or(cmp('a', '==', ['1'], 0), and(cmp('b', '==', ['2'], 5), cmp('c', '==', ['3'], 10)))],
    ['a==1;b==2,c==3', or(and(cmp('a', '==', ['1'], 0), cmp('b', '==', ['2'], 5)), cmp('c', '==', ['3'], 10))],
    ['a==1;b==2;c==3', and(cmp('a', '==', ['1'], 0), cmp('b', '==', ['2'], 5), cmp('c', '==', ['3'], 10))],
    ['a==1,b==2,c==3', or(cmp('a', '==', ['1'], 0), cmp('b', '==', ['2'], 5), cmp('c', '==', ['3'], 10))],
    // Parentheses group, and collapse into a parent of the same kind.
    ['(a==1,b==2);c==3', and(or(cmp('a', '==', ['1'], 1), cmp('b', '==', ['2'], 6)), cmp('c', '==', ['3'], 12))],
    ['(a==1)', cmp('a', '==', ['1'], 1)],
    ['((a==1))', cmp('a', '==', ['1'], 2)],
    ['(a==1;b==2);c==3', and(cmp('a', '==', ['1'], 1), cmp('b', '==', ['2'], 6), cmp('c', '==', ['3'], 12))],
    [
      'a==1;(b==2,(c==3;d==4))',
      and(cmp('a', '==', ['1'], 0), or(cmp('b', '==', ['2'], 6), and(cmp('c', '==', ['3'], 12), cmp('d', '==', ['4'], 17)))),
    ],
    // The words and / or, any case, with whitespace both sides.
    ['a==1 and b==2', and(cmp('a', '==', ['1'], 0), cmp('b', '==', ['2'], 9))],
    ['a==1 or b==2', or(cmp('a', '==', ['1'], 0), cmp('b', '==', ['2'], 8))],
    ['a==1 AND b==2 Or c==3', or(and(cmp('a', '==', ['1'], 0), cmp('b', '==', ['2'], 9)), cmp('c', '==', ['3'], 17))],
    ['(a==1) and (b==2)', and(cmp('a', '==', ['1'], 1), cmp('b', '==', ['2'], 12))],
    ['a=="x" and\tb==y', and(cmp('a', '==', ['x'], 0), cmp('b', '==', ['y'], 11))],
    // Fields named like the words are still fields.
    ['and==1;or==2', and(cmp('and', '==', ['1'], 0), cmp('or', '==', ['2'], 7))],
    ['a==1 or or==2', or(cmp('a', '==', ['1'], 0), cmp('or', '==', ['2'], 8))],
    // Whitespace around every token.
    ['  a ==  1 ; ( b != 2 , c =in= ( 3 ) )  ', and(cmp('a', '==', ['1'], 2), or(cmp('b', '!=', ['2'], 14), cmp('c', '=in=', ['3'], 23)))],
  ];

  it.each(cases)('%s', (text, expected) => {
    expect(parseQuery(text)).toEqual(expected);
  });
});

describe('parseQuery: malformed queries', () => {
  const ops = '(==, !=, =gt=, =ge=, =lt=, =le=, =in=, =out=)';
  const cases: [string, string][] = [
    ['', 'expected a field name or "(" at position 0, found the end of the query'],
    ['   ', 'expected a field name or "(" at position 3, found the end of the query'],
    ['eventType~"payment"', `expected a comparison operator ${ops} at position 9, found "~"`],
    ['a', `expected a comparison operator ${ops} at position 1, found the end of the query`],
    ['a b==1', `expected a comparison operator ${ops} at position 2, found "b"`],
    ['a=b', `expected a comparison operator ${ops} at position 1, found "="`],
    ['a=foo=1', `expected a comparison operator ${ops} at position 1, found "=foo="`],
    ['a=GT=1', `expected a comparison operator ${ops} at position 1, found "=GT="`],
    ['a==', 'expected a value at position 3, found the end of the query'],
    ['a==;b==1', 'expected a value at position 3, found ";"'],
    ['a== ,b==1', 'expected a value at position 4, found ","'],
    ['a==)', 'expected a value at position 3, found ")"'],
    ['a=in=()', 'expected a value at position 6, found ")"'],
    ['a=in=(1,)', 'expected a value at position 8, found ")"'],
    ['a=in=(1 2)', 'expected "," or ")" to continue or end the list of values at position 8, found "2"'],
    ['a=in=(1', 'expected "," or ")" to continue or end the list of values at position 7, found the end of the query'],
    ['a==(1,2)', 'a list of values is only allowed with =in= and =out=, not ==, at position 3'],
    ['a=gt=(1)', 'a list of values is only allowed with =in= and =out=, not =gt=, at position 5'],
    ['1a==1', 'expected a field name or "(" at position 0, found "1"'],
    ['_a==1', 'expected a field name or "(" at position 0, found "_"'],
    ['a==1;', 'expected a field name or "(" at position 5, found the end of the query'],
    ['a==1,,b==2', 'expected a field name or "(" at position 5, found ","'],
    ['a==1 b==2', 'expected ";", ",", "and", "or" or the end of the query at position 5, found "b"'],
    ['a==1 and', 'expected ";", ",", "and", "or" or the end of the query at position 5, found "a"'],
    ['a==1 and ', 'expected a field name or "(" at position 9, found the end of the query'],
    ['a==1 andb==2', 'expected ";", ",", "and", "or" or the end of the query at position 5, found "a"'],
    ['a==1and b==2', 'expected ";", ",", "and", "or" or the end of the query at position 8, found "b"'],
    ['a=="1"and b==2', 'expected ";", ",", "and", "or" or the end of the query at position 6, found "a"'],
    ['a==x)', 'expected ";", ",", "and", "or" or the end of the query at position 4, found ")"'],
    ['(a==1', 'expected ")", ";", ",", "and" or "or" at position 5, found the end of the query'],
    ['((a==1)', 'expected ")", ";", ",", "and" or "or" at position 7, found the end of the query'],
    ['()', 'expected a field name or "(" at position 1, found ")"'],
    ['a=="abc', 'the value quoted at position 3 has no closing "'],
    ["a=='abc\\'", "the value quoted at position 3 has no closing '"],
    ['a=="abc\\', 'the value quoted at position 3 has no closing "'],
    ['a=="x"y', 'expected ";", ",", "and", "or" or the end of the query at position 6, found "y"'],
    ['a==x"y"', 'expected ";", ",", "and", "or" or the end of the query at position 4, found "\\""'],
  ];

  it.each(cases)('%s', (text, message) => {
    const error = catchError(() => parseQuery(text));
    expect(error).toBeInstanceOf(HeraldError);
    expect(error).toMatchObject({ code: 'malformed_request', message: `q: ${message}`, fieldErrors: [{ path: 'q', message }] });
  });
});

describe('parseQuery: limits', () => {
  it(`refuses a query longer than ${queryLimits.maxLength} characters`, () => {
    const text = `a=="${'x'.repeat(queryLimits.maxLength)}"`;
    expect(() => parseQuery(text)).toThrow(/at most 4096 are allowed/);
    expect(parseQuery(`a==${'x'.repeat(queryLimits.maxLength - 3)}`)).toMatchObject({ kind: 'comparison' });
  });

  it(`refuses more than ${queryLimits.maxComparisons} comparisons`, () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `f${i}==${i}`).join(';');
    expect((parseQuery(many(queryLimits.maxComparisons)) as { children: unknown[] }).children).toHaveLength(queryLimits.maxComparisons);
    expect(() => parseQuery(many(queryLimits.maxComparisons + 1))).toThrow(/more than 100 comparisons/);
  });

  it(`refuses parentheses nested deeper than ${queryLimits.maxDepth}`, () => {
    const nested = (n: number) => `${'('.repeat(n)}a==1${')'.repeat(n)}`;
    expect(parseQuery(nested(queryLimits.maxDepth))).toEqual(cmp('a', '==', ['1'], queryLimits.maxDepth));
    expect(() => parseQuery(nested(queryLimits.maxDepth + 1))).toThrow(/nest deeper than 20 levels at position 20/);
    // Deep nesting fails fast on the limit, never on the call stack.
    expect(() => parseQuery('('.repeat(4000))).toThrow(HeraldError);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
