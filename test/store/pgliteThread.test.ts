// The embedded database on its own thread answers like the in-process one: rows with their types,
// errors with their SQLSTATE and constraint, transactions that commit or roll back as a whole and
// keep other statements out while open, per-statement settings, notifications, and a clear error
// once closed. And the rules of the wire protocol driver (wireDb.ts): named statements prepared
// once, statements sent together answered apart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { openPglite } from '../../src/store/pgliteDb.ts';
import { violatedConstraint } from '../../src/store/errors.ts';

const root = mkdtempSync(path.join(tmpdir(), 'herald-pglite-thread-'));
let db: Db;
beforeAll(async () => {
  db = await openPglite(path.join(root, 'db'));
  await db.exec(`create table t (id int primary key, at timestamptz, doc jsonb, big int8, bytes bytea)`);
}, 60_000);
afterAll(async () => {
  await db?.close();
  rmSync(root, { recursive: true, force: true });
});

it('runs statements with parameters and returns typed rows', async () => {
  const at = new Date('2026-01-02T03:04:05.678Z');
  await db.query('insert into t (id, at, doc, big, bytes) values ($1, $2, $3, $4, $5)', [1, at, JSON.stringify({ a: [1, 'x'] }), 2 ** 40, Buffer.from('hi')]);
  const [row] = await db.query<{ id: number; at: Date; doc: unknown; big: number; bytes: Uint8Array }>('select * from t where id = $1', [1]);
  expect(row!.at).toEqual(at);
  expect(row!.doc).toEqual({ a: [1, 'x'] });
  expect(row!.big).toBe(2 ** 40);
  expect(Buffer.from(row!.bytes).toString()).toBe('hi');
  expect(await db.query('select $1::uuid[] as ids', [['0190a0b0-0000-7000-8000-000000000000']])).toEqual([{ ids: ['0190a0b0-0000-7000-8000-000000000000'] }]);
});

it('reports errors with their SQLSTATE and constraint', async () => {
  const error = await db.query('insert into t (id) values (1)').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  expect(violatedConstraint(error, '23505')).toBe('t_pkey');
  await expect(db.query('select * from missing')).rejects.toThrow(/relation "missing" does not exist/);
});

it('commits a transaction as a whole, or rolls it back when its work throws', async () => {
  expect(await db.transaction(async (tx) => {
    await tx.query('insert into t (id) values (10)');
    await tx.query('insert into t (id) values (11)');
    return 'done';
  })).toBe('done');
  await expect(db.transaction(async (tx) => {
    await tx.query('insert into t (id) values (12)');
    await tx.query('insert into t (id) values (10)'); // duplicate: fails
  })).rejects.toThrow(/duplicate key/);
  await expect(db.transaction(async (tx) => {
    await tx.exec('insert into t (id) values (13); insert into t (id) values (14);');
    throw new Error('changed my mind');
  })).rejects.toThrow('changed my mind');
  const ids = (await db.query<{ id: number }>('select id from t where id >= 10 order by id')).map((r) => r.id);
  expect(ids).toEqual([10, 11]);
});

it('keeps other statements out while a transaction is open', async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const order: string[] = [];
  const tx = db.transaction(async (q) => {
    await q.query('insert into t (id) values (20)');
    order.push('tx wrote');
    await held;
    await q.query('update t set big = 1 where id = 20');
    order.push('tx done');
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  const outside = db.query<{ big: number | null }>('select big from t where id = 20').then((rows) => {
    order.push('outside read');
    return rows;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  release();
  await tx;
  expect(await outside).toEqual([{ big: 1 }]);
  expect(order).toEqual(['tx wrote', 'tx done', 'outside read']);
});

it('applies settings to one statement only', async () => {
  expect(await db.withSettings({ enable_bitmapscan: 'off' }).query('show enable_bitmapscan')).toEqual([{ enable_bitmapscan: 'off' }]);
  expect(await db.query('show enable_bitmapscan')).toEqual([{ enable_bitmapscan: 'on' }]);
  expect(() => db.withSettings({ enable_bitmapscan: 'off; drop table t' })).toThrow(/not a plain setting/);
});

it('delivers notifications until unlistened', async () => {
  const got: string[] = [];
  const unlisten = await db.listen('herald_test', (payload) => got.push(payload));
  await db.query(`select pg_notify('herald_test', 'one')`);
  await expect.poll(() => got).toEqual(['one']);
  await unlisten();
  await db.query(`select pg_notify('herald_test', 'two')`);
  await db.query('select 1');
  expect(got).toEqual(['one']);
});

it('prepares a named statement once, and parses it again after a use that did not parse', async () => {
  const prepared = () => db.query<{ n: number }>(`select count(*)::int as n from pg_prepared_statements where name = 'lab_count'`);
  await expect(db.query('select count(*)::int as n from later', [], 'lab_count')).rejects.toThrow(/relation "later" does not exist/);
  expect(await prepared()).toEqual([{ n: 0 }]);
  await db.exec('create table later (id int); insert into later values (1), (2)');
  // Had the failed parse been taken for prepared, this would be "prepared statement does not exist".
  expect(await db.query('select count(*)::int as n from later', [], 'lab_count')).toEqual([{ n: 2 }]);
  expect(await db.query('select count(*)::int as n from later', [], 'lab_count')).toEqual([{ n: 2 }]);
  expect(await prepared()).toEqual([{ n: 1 }]);
});

it('leaves no transaction open after a statement with settings fails', async () => {
  const tuned = db.withSettings({ enable_seqscan: 'off' });
  await expect(tuned.query('select 1 / $1::int as x', [0])).rejects.toThrow(/division by zero/);
  await expect(tuned.exec('select 1 / 0')).rejects.toThrow(/division by zero/);
  // In an open (aborted) transaction this would fail, and the write would vanish with it.
  await db.query('insert into t (id) values (30)');
  expect(await db.query(`select count(*)::int as n from t where id = 30`)).toEqual([{ n: 1 }]);
  expect(await db.query('show enable_seqscan')).toEqual([{ enable_seqscan: 'on' }]);
});

it('answers statements sent together each with its own rows, an error only its own', async () => {
  const answers = await Promise.allSettled(Array.from({ length: 50 }, (_, i) =>
    i === 25 ? db.query('select 1 / 0') : db.query<{ n: number }>('select $1::int as n', [i], 'lab_echo')));
  answers.forEach((answer, i) => {
    if (i === 25) expect(answer.status).toBe('rejected');
    else expect(answer).toEqual({ status: 'fulfilled', value: [{ n: i }] });
  });
});

it('refuses statements once closed, saying so (the last test: it closes the database)', async () => {
  await db.close();
  await expect(db.query('select 1')).rejects.toThrow('the database is closed');
  await db.close(); // twice is fine
});
