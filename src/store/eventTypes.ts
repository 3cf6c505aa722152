import type { EventType } from '../domain/types.ts';
import type { Queryable } from './db.ts';

interface EventTypeRow {
  name: string;
  description: string;
  schema: Record<string, unknown> | null;
  deprecated: boolean;
  created_at: Date;
  updated_at: Date;
  inserted?: boolean;
}

const toEventType = (r: EventTypeRow): EventType => ({
  name: r.name,
  description: r.description,
  schema: r.schema,
  deprecated: r.deprecated,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Creates or replaces an event type; `created` tells which happened. */
export async function upsertEventType(
  q: Queryable,
  t: Pick<EventType, 'name' | 'description' | 'schema' | 'deprecated'>,
): Promise<{ eventType: EventType; created: boolean }> {
  // xmax = 0 only for a freshly inserted row version: the standard way to tell insert from update.
  const rows = await q.query<EventTypeRow>(
    `insert into event_types (name, description, schema, deprecated) values ($1, $2, $3, $4)
     on conflict (name) do update set description = excluded.description, schema = excluded.schema,
       deprecated = excluded.deprecated, updated_at = now()
     returning *, (xmax = 0) as inserted`,
    [t.name, t.description, t.schema === null ? null : JSON.stringify(t.schema), t.deprecated],
  );
  return { eventType: toEventType(rows[0]!), created: rows[0]!.inserted === true };
}

export async function getEventType(q: Queryable, name: string): Promise<EventType | null> {
  const rows = await q.query<EventTypeRow>('select * from event_types where name = $1', [name]);
  return rows[0] ? toEventType(rows[0]) : null;
}

/** In name order, `limit + 1` rows. */
export async function listEventTypes(q: Queryable, afterName: string | undefined, limit: number, includeDeprecated = true): Promise<EventType[]> {
  const rows = await q.query<EventTypeRow>(
    `select * from event_types where ($1::text is null or name > $1) and ($2 or not deprecated)
     order by name limit $3`,
    [afterName ?? null, includeDeprecated, limit + 1],
  );
  return rows.map(toEventType);
}

export async function deleteEventType(q: Queryable, name: string): Promise<boolean> {
  return (await q.query('delete from event_types where name = $1 returning name', [name])).length === 1;
}
