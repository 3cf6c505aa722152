import pg from 'pg';
import type { Db, Queryable } from './db.ts';

// Parse results the way PGlite does, so both drivers hand back the same shapes: int8 as a number
// (counts and sizes never approach 2^53), timestamps as Date, numeric as string.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query(sql, params, name) {
      const values = params as unknown[] | undefined;
      return (await (name ? client.query({ name, text: sql, values }) : client.query(sql, values))).rows;
    },
    async exec(sql) {
      await client.query(sql);
    },
  };
}

export function openPostgres(connectionString: string, poolSize = 10): Db {
  const pool = new pg.Pool({ connectionString, max: poolSize, types: types as pg.CustomTypesConfig });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that
  // would crash the process. The next query simply opens a new connection.
  pool.on('error', () => {});
  return {
    driver: 'postgres',
    ...queryable(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await work(queryable(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    listen: (channel, onNotify) => listen(connectionString, channel, onNotify),
    close: () => pool.end(),
  };
}

/**
 * LISTEN on a dedicated connection that reconnects with backoff when it drops. Workers also poll,
 * so a notification missed while reconnecting only delays work, never loses it.
 */
async function listen(connectionString: string, channel: string, onNotify: (payload: string) => void) {
  let client: pg.Client | undefined;
  let stopped = false;
  let retryMs = 100;
  const connect = async (): Promise<void> => {
    if (stopped) return;
    const next = new pg.Client({ connectionString });
    next.on('notification', (msg) => {
      if (msg.channel === channel) onNotify(msg.payload ?? '');
    });
    next.on('error', () => {
      next.end().catch(() => {});
      if (client === next && !stopped) setTimeout(() => void connect(), retryMs);
    });
    try {
      await next.connect();
      await next.query(`listen ${pg.escapeIdentifier(channel)}`);
      client = next;
      retryMs = 100;
      onNotify(''); // something may have happened while disconnected
    } catch {
      next.end().catch(() => {});
      retryMs = Math.min(retryMs * 2, 5_000);
      setTimeout(() => void connect(), retryMs).unref();
    }
  };
  await connect();
  return async () => {
    stopped = true;
    await client?.end().catch(() => {});
  };
}
