// A Db over one PostgreSQL session spoken to in the wire protocol (PostgreSQL documentation,
// "Frontend/Backend Protocol") through a transport: the bytes of one request in, the bytes of its
// whole reply out. PGlite is such a session (pgliteExchange.mjs), on this thread or on its own.
//
// Why not PGlite's own query(): it enters the WASM six times per statement (parse, describe,
// bind, describe, execute, sync), parses and plans every statement anew, and builds the rows on
// the thread that runs the database — the thread that bounds PGlite's throughput. Here a statement
// is one request (one entry into the WASM), the hot statements are prepared once (as on
// PostgreSQL), and replies are parsed on the caller's thread with node-postgres' own parser and
// type parsers, so both drivers take and return the same values.
//
// Requests are pipelined: a statement is sent without waiting for the replies before it, and the
// session runs requests in the order they were sent. The session runs one transaction at a time:
// while a transaction is open, statements from outside it wait until it ends.
import pg from 'pg';
import { serialize } from 'pg-protocol';
import type { BackendMessage, DataRowMessage, NotificationResponseMessage, RowDescriptionMessage } from 'pg-protocol/dist/messages.js';
import { Parser } from 'pg-protocol/dist/parser.js';
import { prepareValue } from 'pg/lib/utils.js';
import { setLocal, type Db, type Queryable, type Row } from './db.ts';
import { resultTypes } from './resultTypes.ts';

/**
 * Carries requests to the session and brings back each one's complete reply, in order. A request
 * is a Uint8Array over an ArrayBuffer of its own (see joined()): a transport may hand it over.
 */
export interface WireTransport {
  exchange(request: Uint8Array<ArrayBuffer>): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** node-postgres' row builder (pg.Result), which its declared types leave out. */
interface RowBuilder {
  addFields(fields: RowDescriptionMessage['fields']): void;
  parseRow(values: (string | null)[]): Row;
}
const RowBuilder = pg.Result as unknown as new (rowMode: undefined, types: typeof resultTypes) => RowBuilder;

/**
 * The messages of one request, in one ArrayBuffer of their own. Not Buffer.concat, whose result
 * may be a view of node's shared pool: a transport to another thread would have to copy it again.
 */
function joined(parts: Buffer[]): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

const sync = serialize.sync();
const describePortal = serialize.describe({ type: 'P' });
const executeAll = serialize.execute({});

/** What a reply says: the rows of its (last) result, its first error, and whether a parse succeeded. */
interface Reply {
  rows: Row[];
  error?: Error;
  parsed: boolean;
}

/** Simple queries sent in the same request before and after a statement. */
interface Around {
  before: string;
  after: string;
}

export function wireDb(transport: WireTransport): Db {
  const prepared = new Set<string>();
  const listeners = new Map<string, Set<(payload: string) => void>>();
  /** Set while a transaction holds the session; resolves when it ends. */
  let held: Promise<void> | undefined;

  /** Parses a reply with node-postgres' parser; notifications go to their listeners. */
  function read(bytes: Uint8Array): Reply {
    const reply: Reply = { rows: [], parsed: false };
    let rows: RowBuilder | undefined;
    new Parser().parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (message: BackendMessage) => {
      switch (message.name) {
        case 'parseComplete':
          reply.parsed = true;
          break;
        case 'rowDescription':
          rows = new RowBuilder(undefined, resultTypes);
          rows.addFields((message as RowDescriptionMessage).fields);
          reply.rows = [];
          break;
        case 'dataRow':
          reply.rows.push(rows!.parseRow((message as DataRowMessage).fields));
          break;
        case 'error':
          reply.error ??= message as unknown as Error;
          break;
        case 'notification': {
          const { channel, payload } = message as NotificationResponseMessage;
          listeners.get(channel)?.forEach((listener) => queueMicrotask(() => listener(payload)));
          break;
        }
      }
    });
    return reply;
  }

  async function send(request: Uint8Array<ArrayBuffer>): Promise<Reply> {
    const reply = read(await transport.exchange(request));
    if (reply.error) throw reply.error;
    return reply;
  }

  /** Simple queries (any number of statements, no parameters), each ended before the next. */
  const simple = (...sqls: string[]) => send(joined(sqls.map((sql) => serialize.query(sql))));

  /**
   * One statement in the extended protocol: parse (unless prepared under `name`), bind, describe,
   * execute, sync; with `around`, inside simple queries of the same request.
   */
  async function statement(sql: string, params: readonly unknown[] = [], name = '', around?: Around): Promise<Row[]> {
    const parts: Buffer[] = [];
    if (around) parts.push(serialize.query(around.before));
    const parse = !name || !prepared.has(name);
    if (parse) {
      parts.push(serialize.parse({ name, text: sql, types: [] }));
      // Marked when sent: requests sent after this one run after it, so they skip the parse.
      if (name) prepared.add(name);
    }
    parts.push(serialize.bind({ statement: name, values: params as unknown[], valueMapper: prepareValue }), describePortal, executeAll, sync);
    if (around) parts.push(serialize.query(around.after));
    const reply = read(await transport.exchange(joined(parts)));
    // A statement that did not parse was not prepared: its next use must send it again.
    if (parse && name && !reply.parsed) prepared.delete(name);
    if (reply.error) throw reply.error;
    return reply.rows;
  }

  /** Waits until no transaction holds the session. */
  async function turn(): Promise<void> {
    while (held) await held;
  }

  const inSession: Queryable = {
    query: <R>(sql: string, params?: readonly unknown[], name?: string) => statement(sql, params, name) as Promise<R[]>,
    exec: async (sql) => void (await simple(sql)),
  };
  const outside: Queryable = {
    query: async (sql, params, name) => (await turn(), inSession.query(sql, params, name)),
    exec: async (sql) => (await turn(), inSession.exec(sql)),
  };

  return {
    driver: 'pglite',
    ...outside,
    async transaction(work) {
      await turn();
      let end!: () => void;
      held = new Promise((resolve) => (end = resolve));
      try {
        await simple('begin');
        let result;
        try {
          result = await work(inSession);
        } catch (error) {
          await simple('rollback').catch(() => {});
          throw error;
        }
        await simple('commit');
        return result;
      } finally {
        held = undefined;
        end();
      }
    },
    withSettings(settings) {
      // SET LOCAL lasts as long as its transaction: begin, set, the work and commit are one
      // request. After failed work, commit rolls back.
      const around = { before: `begin; ${setLocal(settings)}`, after: 'commit' };
      return {
        query: async <R>(sql: string, params?: readonly unknown[], name?: string) => (await turn(), statement(sql, params, name, around) as Promise<R[]>),
        exec: async (sql) => (await turn(), void (await simple(around.before, sql, around.after))),
      };
    },
    async listen(channel, onNotify) {
      let set = listeners.get(channel);
      if (!set) {
        listeners.set(channel, (set = new Set()));
        await outside.exec(`listen ${pg.escapeIdentifier(channel)}`);
      }
      set.add(onNotify);
      return async () => {
        set.delete(onNotify);
        if (set.size === 0 && listeners.get(channel) === set) {
          listeners.delete(channel);
          await outside.exec(`unlisten ${pg.escapeIdentifier(channel)}`);
        }
      };
    },
    close: () => transport.close(),
  };
}
