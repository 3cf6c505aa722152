import pg from 'pg';
import { checkSettings, type Db, type Queryable } from './db.ts';
import { resultTypes } from './resultTypes.ts';

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

function openPool(connectionString: string, max: number, options?: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, types: resultTypes, ...(options ? { options } : {}) });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that
  // would crash the process. The next query simply opens a new connection.
  pool.on('error', () => {});
  return pool;
}

export function openPostgres(connectionString: string, poolSize = 10): Db {
  const pool = openPool(connectionString, poolSize);
  // One connection per distinct set of settings, which it takes at connect (startup `options`).
  const tuned = new Map<string, pg.Pool>();
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
    withSettings(settings) {
      const options = checkSettings(settings).map(([name, value]) => `-c ${name}=${value}`).join(' ');
      let tunedPool = tuned.get(options);
      if (!tunedPool) tuned.set(options, (tunedPool = openPool(connectionString, 1, options)));
      return queryable(tunedPool);
    },
    listen: (channel, onNotify) => listen(connectionString, channel, onNotify),
    close: async () => {
      await Promise.all([pool.end(), ...[...tuned.values()].map((p) => p.end())]);
    },
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
