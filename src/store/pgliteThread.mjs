// The embedded database's own thread (see pgliteThreadDb.ts): PGlite runs SQL in WASM on the
// thread that opened it, so here it gets a core of its own instead of sharing Herald's. It only
// runs requests in the wire protocol; building them and reading the replies is the caller's work
// (wireDb.ts). Plain JavaScript, so that the sources (tests) and the bundle start the same file.
//
// Messages in: { id, request } (bytes), answered { id, reply } (bytes, transferred) or
// { id, error }; { id, close: true } closes the database and is answered { id }.
import v8 from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { exchange } from './pgliteExchange.mjs';

// PostgreSQL's WASM runs as V8's baseline (Liftoff) code, never optimised. Optimising its hot
// functions (TurboFan, dynamic tier-up) takes compiler memory that glibc keeps once freed: about
// 95 MB more resident from the first migrations on, for about 10 % more throughput (README,
// Performance). Set before the module is compiled; process-wide, but PGlite is Herald's only
// WASM besides undici's HTTP parser, whose cost did not move. An operator's own flag is kept.
if (!process.execArgv.some((arg) => /^--(no-)?(liftoff|wasm[-_]tier[-_]up|wasm[-_]dynamic[-_]tiering)/.test(arg))) {
  v8.setFlagsFromString('--liftoff-only');
}

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
