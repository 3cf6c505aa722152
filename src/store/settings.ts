import type { Queryable } from './db.ts';

export async function getSetting<T>(q: Queryable, key: string): Promise<T | undefined> {
  const rows = await q.query<{ value: T }>('select value from settings where key = $1', [key]);
  return rows[0]?.value;
}

/** Stores `value` unless the key exists; returns whether it was stored. */
export async function insertSettingIfAbsent(q: Queryable, key: string, value: unknown): Promise<boolean> {
  const rows = await q.query(
    'insert into settings (key, value) values ($1, $2) on conflict (key) do nothing returning key',
    [key, JSON.stringify(value)],
  );
  return rows.length === 1;
}

export async function putSetting(q: Queryable, key: string, value: unknown): Promise<void> {
  await q.query(
    `insert into settings (key, value) values ($1, $2)
     on conflict (key) do update set value = excluded.value, updated_at = now()`,
    [key, JSON.stringify(value)],
  );
}
