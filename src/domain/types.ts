/*
 * Herald's vocabulary (see DESIGN.md, "Words"):
 *
 * operator     — whoever runs Herald; holds the admin token; manages tenants, keys and event types.
 * tenant       — a customer of the operator (brand, merchant, organisation). A tenant with children
 *                is a partner: its keys reach itself and its direct children.
 * account      — an optional sub-division of a tenant that events carry (`accountId`).
 * environment  — `live` or `test`; keys, endpoints and events each have one.
 * event type   — a dotted hierarchical name (`payment.sent`); subscriptions may name a prefix.
 * endpoint     — a tenant's URL with the event types it wants, its secret and settings.
 * event        — one published occurrence, stored once with its raw payload bytes.
 * delivery     — one event for one endpoint, with a status and a schedule.
 * attempt      — one HTTP request of a delivery.
 */

export const environments = ['live', 'test'] as const;
export type Environment = (typeof environments)[number];

export const permissions = ['webhooks:read', 'webhooks:write', 'events:publish'] as const;
export type Permission = (typeof permissions)[number];
export const defaultKeyPermissions: Permission[] = ['webhooks:read', 'webhooks:write'];

export interface Tenant {
  id: string;
  name: string;
  parentId: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface ApiKey {
  id: string;
  tenantId: string;
  name: string;
  /** The first characters of the key, enough to recognise it (`hk_live_AbCd`). */
  prefix: string;
  last4: string;
  permissions: Permission[];
  environment: Environment;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface EventType {
  name: string;
  description: string;
  /** A JSON Schema (draft 2020-12) that published `data` must satisfy, if set. */
  schema: Record<string, unknown> | null;
  deprecated: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface Endpoint {
  id: string;
  tenantId: string;
  url: string;
  description: string;
  /** Subscriptions: exact types, prefixes (`payment`, `payment.*`) or `*`. */
  eventTypes: string[];
  /** Only events of these accounts; null means every account. */
  accountIds: string[] | null;
  environment: Environment;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: Date | null;
  headers: Record<string, string>;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** Who is calling: the operator, or the holder of one tenant's API key. */
export type Actor =
  | { kind: 'operator' }
  | { kind: 'key'; keyId: string; tenantId: string; permissions: Permission[]; environment: Environment };

/** The operator's own tenant: its endpoints receive Herald's operational events. */
export const operationsTenantId = '_herald';
