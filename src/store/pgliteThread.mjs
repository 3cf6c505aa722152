// The embedded database's own thread (see pgliteDb.ts, openPglite): PGlite runs SQL in WASM on the
// thread that opened it, so here it gets a core of its own instead of sharing Herald's. Plain
// JavaScript, so that the sources (tests) and the bundle start the same file.
//
// Messages in: { id, op, ... }; each is answered { id, result } or { id, error }. A transaction is
// opened with 'begin' (answered with its handle), used through `tx` on 'query'/'exec', and ended
// with 'end' ({ commit }). PGlite runs one statement or transaction at a time; while one is open,
// the others wait for it.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

const pg = await PGlite.create(workerData.dataDir, { postgresqlconf: workerData.postgresqlconf });
/** Open transactions by handle: the transaction, and how to end it. */
const open = new Map();
const rolledBack = Symbol('rolled back');

/** An error as a plain object (message, SQLSTATE code, constraint, …): only those cross threads. */
function plain(error) {
  const fields = Object.entries(error ?? {}).filter(([, value]) => value === null || typeof value !== 'object');
  return { message: error?.message ?? String(error), ...Object.fromEntries(fields) };
}

const answer = (id, result) => parentPort.postMessage({ id, result });
const fail = (id, error) => parentPort.postMessage({ id, error: plain(error) });
const on = (m) => (m.tx === undefined ? pg : open.get(m.tx).tx);

function begin(id) {
  let end;
  const ended = new Promise((resolve) => (end = resolve));
  const done = pg.transaction(async (tx) => {
    open.set(id, { tx, end, done });
    answer(id, id);
    if (!(await ended)) throw rolledBack;
  });
  // Not even begun (the database is closed, …): the caller is still waiting for its handle.
  done.catch((error) => !open.has(id) && fail(id, error));
}

const ops = {
  query: async (m) => (await on(m).query(m.sql, m.params)).rows,
  exec: async (m) => void (await on(m).exec(m.sql)),
  async end(m) {
    const t = open.get(m.tx);
    t.end(m.commit);
    await t.done.catch((error) => {
      if (error !== rolledBack) throw error;
    }).finally(() => open.delete(m.tx));
  },
  // One statement with settings of its own: SET LOCAL lasts as long as its transaction.
  tuned: (m) => pg.transaction(async (tx) => {
    await tx.exec(m.set);
    if (m.exec) return void (await tx.exec(m.sql));
    return (await tx.query(m.sql, m.params)).rows;
  }),
  listen: (m) => pg.listen(m.channel, (payload) => parentPort.postMessage({ channel: m.channel, payload })).then(() => undefined),
  unlisten: (m) => pg.unlisten(m.channel),
  close: () => pg.close(),
};

parentPort.on('message', (m) => {
  if (m.op === 'begin') return begin(m.id);
  ops[m.op](m).then((result) => answer(m.id, result), (error) => fail(m.id, error));
});
parentPort.postMessage({ ready: true });
