import type { PGlite } from '@electric-sql/pglite';

/** Runs one wire-protocol request on `pg` and returns its whole reply, as bytes of its own. */
export function exchange(pg: PGlite, request: Uint8Array): Promise<Uint8Array>;
