// The one database seam. Two drivers implement it: PGlite (PostgreSQL compiled to WASM, embedded,
// the default) and node-postgres. Both speak the same SQL dialect, so every query in store/ runs
// unchanged on either, and the conformance tests run every store test on both.

export type Row = Record<string, unknown>;

export interface Queryable {
  /**
   * Runs one parameterised statement and returns its rows. A `name` makes it a prepared statement
   * (parsed and planned once per connection): for the hot path's fixed statements only.
   */
  query<R = Row>(sql: string, params?: readonly unknown[], name?: string): Promise<R[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** Server settings by name; names and values are plain words (they are written into SQL). */
export type Settings = Readonly<Record<string, string>>;

export function checkSettings(settings: Settings): [string, string][] {
  const entries = Object.entries(settings);
  for (const [name, value] of entries) {
    if (!/^[a-z_]+$/.test(name) || !/^[a-z0-9_]+$/.test(value)) throw new Error(`not a plain setting: ${name} = ${value}`);
  }
  return entries;
}

/** The settings as SET LOCAL statements, for a transaction that runs one statement with them (PGlite). */
export function setLocal(settings: Settings): string {
  return checkSettings(settings).map(([name, value]) => `set local ${name} = ${value};`).join(' ');
}

export interface Db extends Queryable {
  readonly driver: 'pglite' | 'postgres';
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * A Queryable whose statements run with these settings (`enable_bitmapscan: 'off'`, …). On
   * PostgreSQL it is a connection of its own that took them at connect, so each statement stays
   * one round trip; on PGlite each statement runs in a transaction that sets them first.
   */
  withSettings(settings: Settings): Queryable;
  /** Calls `onNotify` for every NOTIFY on `channel` until the returned function is called. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
