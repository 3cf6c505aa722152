import { beforeAll, describe, expect, it } from 'vitest';
import { HeraldError } from '../../src/domain/errors.ts';
import { parseQuery } from '../../src/domain/query.ts';
import { compileQuery, parseTimestamp, type FieldSpec } from '../../src/store/querySql.ts';
import { describeEachDriver } from '../support/databases.ts';

const fields: Record<string, FieldSpec> = {
  id: { column: 'id', type: 'uuid' },
  type: { column: 'type', type: 'string' },
  status: { column: 'status', type: 'enum', values: ['pending', 'succeeded', 'failed'] },
  attemptCount: { column: 'attempt_count', type: 'integer' },
  createdAt: { column: 'created_at', type: 'datetime' },
  relatedId: { column: 'related_id', type: 'string' },
};

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

// r<n> has id uuid(n). Rows cover wildcard-looking characters, quotes, a backslash and NULLs.
const rows: [number, string, string, number, string, string | null][] = [
  [1, 'payment.sent', 'succeeded', 1, '2025-06-01T09:05:00Z', 'pmt_1'],
  [2, 'payment.sent', 'failed', 5, '2025-06-01T12:00:00Z', 'pmt_2'],
  [3, 'payment.failed', 'pending', 0, '2025-06-02T00:00:00Z', null],
  [4, 'payment.refunded', 'succeeded', 2, '2025-05-31T23:59:59.999Z', 'pmt_3'],
  [5, 'invoice.paid', 'succeeded', 1, '2025-06-03T10:00:00Z', 'inv_1'],
  [6, 'invoice.created', 'pending', 0, '2025-06-01T00:00:00Z', null],
  [7, '50%_off', 'failed', 3, '2025-06-01T07:05:00Z', '50%_off'],
  [8, '50x.off', 'failed', 3, '2025-06-01T08:00:00Z', 'ab\\cd'],
  [9, 'it\'s "quoted"', 'pending', 10, '2024-12-31T23:00:00Z', null],
  [10, 'Payment.Sent', 'succeeded', 7, '2025-06-10T00:00:00Z', 'x'],
];
const all = rows.map(([n]) => n);
const except = (...ns: number[]) => all.filter((n) => !ns.includes(n));

// [query, ids of the rows it selects]
const selections: [string, number[]][] = [
  // strings: equality, wildcards (case-sensitive), LIKE metacharacters taken literally
  ['type==payment.sent', [1, 2]],
  ['type=="payment.sent"', [1, 2]],
  ['type==payment.*', [1, 2, 3, 4]],
  ['type==*.sent', [1, 2]],
  ['type==*ent*', [1, 2, 3, 4, 10]],
  ['type==*.s*', [1, 2]],
  ['type==*', all],
  ['type!=payment.*', except(1, 2, 3, 4)],
  ['type!=payment.sent', except(1, 2)],
  ['type=="50%_off"', [7]],
  ['type=="50%_*"', [7]],
  ['type==50_*', []],
  ['type==*%*', [7]],
  ['type=="it\'s \\"quoted\\""', [9]],
  ["type=='it\\'s \"quoted\"'", [9]],
  ['type=="it\'s*"', [9]],
  ['relatedId=="ab\\\\cd"', [8]],
  ['relatedId=="ab\\\\*"', [8]],
  // strings: lists (no wildcards in lists) and byte-wise ordering
  ['type=in=(payment.sent,invoice.paid)', [1, 2, 5]],
  ['type=in=(payment.*)', []],
  ['type=out=(payment.sent,invoice.paid)', except(1, 2, 5)],
  ['type>payment', [1, 2, 3, 4]],
  ['type=ge=payment.sent', [1, 2]],
  ['type<P', [7, 8]],
  ['type<=payment.failed', except(1, 2, 4)],
  // NULLs: != and =out= include rows without a value, == and =in= never match them
  ['relatedId!=pmt_1', except(1)],
  ['relatedId!=pmt_*', except(1, 2, 4)],
  ['relatedId=out=(pmt_1,pmt_2)', except(1, 2)],
  ['relatedId=in=(pmt_1,inv_1)', [1, 5]],
  ['relatedId==*', except(3, 6, 9)],
  // enums
  ['status==succeeded', [1, 4, 5, 10]],
  ['status!=pending', except(3, 6, 9)],
  ['status=in=(pending,failed)', [2, 3, 6, 7, 8, 9]],
  ['status=out=(succeeded)', [2, 3, 6, 7, 8, 9]],
  // integers
  ['attemptCount==0', [3, 6]],
  ['attemptCount!=1', except(1, 5)],
  ['attemptCount>2', [2, 7, 8, 9, 10]],
  ['attemptCount=gt=2', [2, 7, 8, 9, 10]],
  ['attemptCount>=+5', [2, 9, 10]],
  ['attemptCount>-1', all],
  ['attemptCount=ge=3;attemptCount<=5', [2, 7, 8]],
  ['attemptCount=lt=1', [3, 6]],
  ['attemptCount=le=1', [1, 3, 5, 6]],
  ['attemptCount=in=(0,10)', [3, 6, 9]],
  ['attemptCount=out=(0,1,2,3)', [2, 9, 10]],
  // date-times: a bare date is midnight UTC, no zone means UTC, offsets and fractions honoured
  ['createdAt==2025-06-01', [6]],
  ['createdAt!=2025-06-01', except(6)],
  ['createdAt>=2025-06-01;createdAt<2025-06-02', [1, 2, 6, 7, 8]],
  ['createdAt<2025-06-01', [4, 9]],
  ['createdAt>2025-06-01T09:00:00', [1, 2, 3, 5, 10]],
  ['createdAt>2025-06-01T09:00', [1, 2, 3, 5, 10]],
  ['createdAt>2025-06-01T09:00:00+02:00', [1, 2, 3, 5, 7, 8, 10]],
  ['createdAt>2025-06-01T07:30:00-01:00', [1, 2, 3, 5, 10]],
  ['createdAt==2025-06-01T11:05:00+02:00', [1]],
  ['createdAt==2025-06-01T11:05:00+0200', [1]],
  ['createdAt=="2025-06-01 09:05:00Z"', [1]],
  ['createdAt==2025-06-01t09:05:00z', [1]],
  ['createdAt=le=2025-05-31T23:59:59.999Z', [4, 9]],
  ['createdAt<2025-05-31T23:59:59.999', [9]],
  ['createdAt>2025-06-01T00:00:00.000001Z;createdAt<2025-06-01T07:05:00.000001Z', [7]],
  ['createdAt=in=(2025-06-01,2025-06-03T10:00:00Z)', [5, 6]],
  ['createdAt=out=(2025-06-01,2025-06-03T10:00:00Z)', except(5, 6)],
  // uuids, in any case
  [`id==${uuid(3)}`, [3]],
  [`id==${uuid(3).toUpperCase()}`, [3]],
  [`id!=${uuid(3)}`, except(3)],
  [`id=in=(${uuid(1)},${uuid(10)})`, [1, 10]],
  [`id=out=(${uuid(1)},${uuid(10)})`, except(1, 10)],
  // combinations
  ['type==payment.*;status==succeeded,attemptCount>9', [1, 4, 9]],
  ['(type==payment.* or type==invoice.*) and status!=succeeded', [2, 3, 6]],
  ['type==payment.*;(status==failed,relatedId!=pmt_*)', [2, 3]],
  ['status==pending;attemptCount==0;createdAt<2025-06-02', [6]],
];

const injections = [
  `type=="x' or '1'='1"`,
  `type=="'; drop table q_test; --"`,
  `type==" or 1=1"`,
  `relatedId=="\\' or 1=1 --"`,
  `type=="%"`,
  `type=="_"`,
  `type=in=("') or true --",x)`,
  `relatedId!="x' and false --"`,
];

describeEachDriver('store: compiled search queries', (db) => {
  beforeAll(async () => {
    await db().exec(
      'create table q_test (id uuid primary key, type text not null, status text not null, attempt_count int not null, created_at timestamptz not null, related_id text null)',
    );
    for (const row of rows) {
      const [n, ...rest] = row;
      await db().query('insert into q_test values ($1, $2, $3, $4, $5, $6)', [uuid(n), ...rest]);
    }
  });

  async function select(query: string): Promise<number[]> {
    const params: unknown[] = [];
    const where = compileQuery(parseQuery(query), fields, params);
    const found = await db().query<{ id: string }>(`select id from q_test where ${where} order by id`, params);
    return found.map((r) => Number(r.id.slice(-12)));
  }

  it.each(selections)('%s', async (query, expected) => {
    expect(await select(query)).toEqual(expected);
  });

  it('treats SQL in values as plain data: nothing matches, nothing fails', async () => {
    for (const query of injections.slice(0, -1)) expect(await select(query), query).toEqual([]);
    expect(await select(injections.at(-1)!)).toEqual(all);
    const [{ count }] = (await db().query<{ count: number }>('select count(*)::int as count from q_test')) as [{ count: number }];
    expect(count).toBe(rows.length);
  });
});

describe('compileQuery', () => {
  it('continues numbering after the parameters already held and parenthesises every part', () => {
    const params: unknown[] = ['tenant', 'other'];
    const spec = { type: { column: 'e.type', type: 'string' }, attemptCount: { column: 'd.attempt_count', type: 'integer' } } as const;
    expect(compileQuery(parseQuery('type==payment.sent;attemptCount>2'), spec, params)).toBe(
      '((e.type = $3::text) and (d.attempt_count > $4::int))',
    );
    expect(params).toEqual(['tenant', 'other', 'payment.sent', 2]);
  });

  it('writes wildcards as LIKE with escapes, negations that include NULL, lists as arrays', () => {
    const params: unknown[] = [];
    const sql = compileQuery(parseQuery('type!=a_%\\*,relatedId=out=(x,y);createdAt=in=(2025-06-01)'), fields, params);
    expect(sql).toBe(
      "((type is null or type not like $1::text escape '\\') or ((related_id is null or related_id <> all($2::text[])) and (created_at = any($3::timestamptz[]))))",
    );
    expect(params).toEqual(['a\\_\\%\\\\%', ['x', 'y'], ['2025-06-01T00:00:00+00:00']]);
  });

  const errors: [string, string][] = [
    ['kind==x', 'unknown field "kind" at position 0; known fields are id, type, status, attemptCount, createdAt, relatedId'],
    ['type==a;toString==x', 'unknown field "toString" at position 8; known fields are id, type, status, attemptCount, createdAt, relatedId'],
    ['attemptCount==abc', '"abc" for attemptCount (at position 0) is not an integer'],
    ['attemptCount>1.5', '"1.5" for attemptCount (at position 0) is not an integer'],
    ['attemptCount>3000000000', '"3000000000" for attemptCount (at position 0) is out of range (-2147483648 to 2147483647)'],
    ['type==x;attemptCount=in=(1,x)', '"x" for attemptCount (at position 8) is not an integer'],
    ['id==not-a-uuid', '"not-a-uuid" for id (at position 0) is not a UUID'],
    ['createdAt>yesterday', '"yesterday" for createdAt (at position 0) is not an RFC 3339 date or date-time (like 2025-06-01 or 2025-06-01T09:05:00Z)'],
    ['createdAt>2025-13-01', '"2025-13-01" for createdAt (at position 0) is not an RFC 3339 date or date-time (like 2025-06-01 or 2025-06-01T09:05:00Z)'],
    ['createdAt>2025-02-29', '"2025-02-29" for createdAt (at position 0) is not an RFC 3339 date or date-time (like 2025-06-01 or 2025-06-01T09:05:00Z)'],
    ['createdAt>2025-06-01T24:00:00Z', '"2025-06-01T24:00:00Z" for createdAt (at position 0) is not an RFC 3339 date or date-time (like 2025-06-01 or 2025-06-01T09:05:00Z)'],
    ['status==done', '"done" for status (at position 0) is not one of pending, succeeded, failed'],
    ['status>pending', '=gt= cannot be used on status (at position 0): enum fields allow only ==, !=, =in= and =out='],
    [`id<=${uuid(1)}`, '=le= cannot be used on id (at position 0): uuid fields allow only ==, !=, =in= and =out='],
  ];

  it.each(errors)('refuses %s', (query, message) => {
    let error: unknown;
    try {
      compileQuery(parseQuery(query), fields, []);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HeraldError);
    expect(error).toMatchObject({ code: 'malformed_request', message: `q: ${message}`, fieldErrors: [{ path: 'q', message }] });
  });
});

describe('parseTimestamp', () => {
  it.each([
    ['2025-06-01', '2025-06-01T00:00:00+00:00'],
    ['2024-02-29T23:59', '2024-02-29T23:59:00+00:00'],
    ['2025-06-01T09:05:00.123456-05:30', '2025-06-01T09:05:00.123456-05:30'],
    ['2025-06-01T09:05:00+02', '2025-06-01T09:05:00+02:00'],
    ['0001-01-01', '0001-01-01T00:00:00+00:00'],
  ])('reads %s', (text, expected) => {
    expect(parseTimestamp(text)).toBe(expected);
  });

  it.each(['2025-6-1', '0000-01-01', '1900-02-29', '2025-06-01T09:60', '2025-06-01T09:05:60Z', '2025-06-01T09:05+24:00', '2025-06-01T09:05:00.1234567Z', '2025-06-01Z'])(
    'refuses %s',
    (text) => {
      expect(parseTimestamp(text)).toBeUndefined();
    },
  );
});
