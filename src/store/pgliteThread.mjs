// The embedded database's own thread (see pgliteThreadDb.ts): PGlite runs SQL in WASM on the
// thread that opened it, so here it gets a core of its own instead of sharing Herald's. It only
// runs requests in the wire protocol; building them and reading the replies is the caller's work
// (wireDb.ts). Plain JavaScript, so that the sources (tests) and the bundle start the same file.
//
// Messages in: { id, request } (bytes), answered { id, reply } (bytes, transferred) or
// { id, error }; { id, close: true } closes the database and is answered { id }.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { exchange } from './pgliteExchange.mjs';

const pg = await PGlite.create(workerData.dataDir, { postgresqlconf: workerData.postgresqlconf });

parentPort.on('message', (m) => {
  if (m.close) {
    pg.close().then(() => parentPort.postMessage({ id: m.id }), (error) => parentPort.postMessage({ id: m.id, error: String(error?.message ?? error) }));
    return;
  }
  exchange(pg, m.request).then(
    (reply) => parentPort.postMessage({ id: m.id, reply }, [reply.buffer]),
    // Not a database error (those are in the reply): the session itself failed.
    (error) => parentPort.postMessage({ id: m.id, error: String(error?.message ?? error) }),
  );
});
parentPort.postMessage({ ready: true });
