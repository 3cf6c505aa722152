import { PGlite } from '@electric-sql/pglite';
import { checkSettings, type Db, type Queryable } from './db.ts';

type PgliteLike = Pick<PGlite, 'query' | 'exec'>;

function queryable(pg: PgliteLike): Queryable {
  return {
    async query(sql, params) {
      return (await pg.query(sql, params as unknown[] | undefined)).rows as never[];
    },
    async exec(sql) {
      await pg.exec(sql);
    },
  };
}

/** Wraps an open PGlite instance. PGlite is one connection: it runs one statement or transaction at a time. */
export function pgliteDb(pg: PGlite): Db {
  return {
    driver: 'pglite',
    ...queryable(pg),
    transaction: (work) => pg.transaction((tx) => work(queryable(tx))),
    withSettings(settings) {
      const set = checkSettings(settings).map(([name, value]) => `set local ${name} = ${value};`).join(' ');
      const tuned = <T>(work: (tx: Queryable) => Promise<T>) =>
        pg.transaction(async (tx) => {
          await tx.exec(set);
          return work(queryable(tx));
        });
      return {
        query: (sql, params) => tuned((tx) => tx.query(sql, params)),
        exec: (sql) => tuned((tx) => tx.exec(sql)),
      };
    },
    async listen(channel, onNotify) {
      const unlisten = await pg.listen(channel, onNotify);
      return () => unlisten();
    },
    close: () => pg.close(),
  };
}

/** Opens (creating if needed) the embedded database stored in `dataDir`; in memory when undefined. */
export async function openPglite(dataDir?: string): Promise<Db> {
  return pgliteDb(await PGlite.create(dataDir));
}
