// Opaque cursors for keyset paging: the sort key of the last row of a page, base64url-encoded.
// Keyset paging stays correct while rows are added: nothing is skipped or repeated.
import { HeraldError } from './errors.ts';
import { isUuid } from './ids.ts';

/** The type of one part of a cursor's key; `uuid` is a string that is a UUID (a row id). */
export type CursorPart = 'string' | 'number' | 'uuid';

const fits = (value: unknown, part: CursorPart) => (part === 'uuid' ? typeof value === 'string' && isUuid(value) : typeof value === part);

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, shape: readonly CursorPart[]): (string | number)[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== shape.length || key.some((v, i) => !fits(v, shape[i]!))) {
    throw new HeraldError('malformed_request', 'cursor is not valid: pass the nextCursor of a previous page unchanged');
  }
  return key as (string | number)[];
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Cuts a result fetched with `limit + 1` rows into a page and the cursor of the next one. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => (string | number)[]): Page<T> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
