// One wire-protocol request run on PGlite (pgliteExchange.mjs): replies are assembled in a reused
// buffer, and each one returned must be a copy that owns its bytes, whole, untouched by later calls.
import { PGlite } from '@electric-sql/pglite';
import { serialize } from 'pg-protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exchange } from '../../src/store/pgliteExchange.mjs';

let pg: PGlite;
beforeAll(async () => {
  pg = await PGlite.create();
}, 60_000);
afterAll(() => pg.close());

const select = (sql: string) => exchange(pg, new Uint8Array(serialize.query(sql)));
const text = (reply: Uint8Array) => Buffer.from(reply).toString('latin1');

it('returns each reply whole, in bytes of its own that later replies leave alone', async () => {
  const first = await select(`select 'first reply' as a`);
  // Larger than the buffer the replies are assembled in, which then grows and is let go after.
  const large = await select(`select repeat('x', 3000000) as b`);
  const third = await select(`select 'third reply' as c`);

  for (const reply of [first, large, third]) expect(reply.byteLength).toBe(reply.buffer.byteLength); // transferable as is
  expect(text(first)).toContain('first reply');
  expect(text(first)).not.toContain('third');
  expect(text(large)).toContain('x'.repeat(3_000_000));
  expect(text(large).endsWith('Z\0\0\0\x05I')).toBe(true); // ReadyForQuery, idle: the reply is complete
  expect(text(third)).toContain('third reply');
});
