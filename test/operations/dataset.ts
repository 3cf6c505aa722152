// A varied delivery log for the search and paging tests: every filterable field takes several
// values, with ties (same createdOn, sentOn or attemptCount) and gaps (no sentOn, no account), so
// each filter, query and sort has rows to keep and rows to drop. The expected answers are computed
// from the same rows in JavaScript.
import { newId } from '../../src/domain/ids.ts';
import type { Queryable } from '../../src/store/db.ts';
import { daysAgo, seedDelivery, seedEvent } from '../support/seed.ts';

export interface Row {
  id: string;
  eventId: string;
  endpointId: string;
  eventType: string;
  status: 'pending' | 'succeeded' | 'failed';
  accountId: string | null;
  relatedEntityId: string | null;
  relatedEntityType: string | null;
  createdOn: number;
  sentOn: number | null;
  attemptCount: number;
}

export const eventTypes = ['alpha.created', 'alpha.deleted', 'beta.sent', 'gamma.done'];
const statuses = ['succeeded', 'failed', 'pending'] as const;
const accounts = ['acc_1', 'acc_2', null];
const related = [{ id: 'ord_1', type: 'order' }, { id: 'ord_2', type: 'order' }, { id: 'cus_1', type: 'customer' }, null];

export interface Dataset {
  tenantId: string;
  endpoints: [string, string];
  rows: Row[];
  /** The start of the log (ms): rows are created from here, 3 hours apart. */
  start: number;
}

/** Seeds `count` deliveries (one event each) for `tenantId`, plus a row of another tenant that must never show. */
export async function seedDataset(db: Queryable, tenantId: string, otherTenantId: string, count = 48): Promise<Dataset> {
  const endpoints: [string, string] = [newId(), newId()];
  const start = Math.floor(daysAgo(10) / 1000) * 1000;
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    // Every fifth row shares its creation time with the one before it.
    const createdOn = start + (i % 5 === 4 ? i - 1 : i) * 3 * 3_600_000;
    const status = statuses[i % 3]!;
    const attemptCount = status === 'pending' ? i % 2 : 1 + (i % 4);
    const sentOn = attemptCount === 0 ? null : createdOn + (i % 3) * 60_000;
    const rel = related[i % 4]!;
    const row = {
      endpointId: endpoints[i % 2]!,
      eventType: eventTypes[(i * 7) % 4]!,
      status,
      accountId: accounts[i % 3]!,
      relatedEntityId: rel?.id ?? null,
      relatedEntityType: rel?.type ?? null,
      createdOn,
      sentOn,
      attemptCount,
    };
    const eventId = await seedEvent(db, { tenantId, type: row.eventType, at: createdOn, accountId: row.accountId, relatedEntity: rel });
    const id = await seedDelivery(db, { tenantId, eventId, endpointId: row.endpointId, at: createdOn, status, attemptCount, lastAttemptAt: sentOn });
    rows.push({ ...row, id, eventId });
  }
  const foreign = await seedEvent(db, { tenantId: otherTenantId, type: 'alpha.created', at: start });
  await seedDelivery(db, { tenantId: otherTenantId, eventId: foreign, endpointId: endpoints[0], at: start });
  return { tenantId, endpoints, rows, start };
}

export type SortSpec = [keyof typeof sortValue, 'asc' | 'desc'];

const sortValue = {
  createdOn: (r: Row) => r.createdOn,
  sentOn: (r: Row) => r.sentOn ?? -Infinity, // no attempt yet sorts as the smallest
  attemptCount: (r: Row) => r.attemptCount,
  eventType: (r: Row) => r.eventType,
  status: (r: Row) => r.status,
};

/** The order the API promises: the sort keys, then the id in the first key's direction. */
export function sortRows(rows: Row[], sort: SortSpec[]): Row[] {
  const keys = [...sort.map(([field, dir]) => [sortValue[field], dir] as const), [(r: Row) => r.id, sort[0]?.[1] ?? 'desc'] as const];
  return [...rows].sort((a, b) => {
    for (const [value, dir] of keys) {
      const x = value(a);
      const y = value(b);
      if (x !== y) return (x < y ? -1 : 1) * (dir === 'asc' ? 1 : -1);
    }
    return 0;
  });
}

export const newestFirst = (rows: Row[]) => sortRows(rows, [['createdOn', 'desc']]);

export type Params = Record<string, string | number | string[]>;

/** A query string with every value percent-encoded; arrays repeat the parameter. */
export function queryString(params: Params): string {
  return Object.entries(params)
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${name}=${encodeURIComponent(String(v))}`))
    .join('&');
}
