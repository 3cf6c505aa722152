// TypeBox schemas of the native API: they validate requests, shape responses (fields not listed
// are never sent) and generate the OpenAPI document.
import { Type, type Static, type TSchema } from 'typebox';
import { environments, permissions } from '../../domain/types.ts';

export function nullable<T extends TSchema>(schema: T) {
  const { type, ...rest } = schema as unknown as { type: string } & Record<string, unknown>;
  return Type.Unsafe<Static<T> | null>({ ...rest, type: [type, 'null'] });
}

/** Dates leave as RFC 3339 strings; handlers may return Date objects, which the serializer formats. */
export const DateTime = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
export const Metadata = Type.Record(Type.String(), Type.Unknown(), { description: 'Free-form data kept with the object.' });
/** A string from a fixed list (a plain `enum`, which gives clearer validation errors than anyOf). */
export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const Environment = StringEnum(environments);
export const Permission = StringEnum(permissions);

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

export const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 250, default: 50 }),
  cursor: Type.Optional(Type.String({ description: 'The nextCursor of the previous page.' })),
});

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), nextCursor: nullable(Type.String()) });
}

/** Error answers every authenticated route may give. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries([401, 403, 404, 429, ...statuses].map((s) => [s, Type.Ref('Problem')]));
}

export const Tenant = Type.Object({
  id: Type.String(),
  name: Type.String(),
  parentId: nullable(Type.String()),
  metadata: Metadata,
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const ApiKey = Type.Object({
  id: Type.String({ format: 'uuid' }),
  tenantId: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key.' }),
  last4: Type.String({ description: 'The last 4 characters of the key.' }),
  permissions: Type.Array(Permission),
  environment: Environment,
  createdAt: DateTime,
  lastUsedAt: nullable(DateTime),
  revokedAt: nullable(DateTime),
});

export const EventType = Type.Object({
  name: Type.String(),
  description: Type.String(),
  schema: nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema (draft 2020-12) for the event data.' })),
  deprecated: Type.Boolean(),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const Endpoint = Type.Object({
  id: Type.String({ format: 'uuid' }),
  tenantId: Type.String(),
  url: Type.String(),
  description: Type.String(),
  eventTypes: Type.Array(Type.String()),
  accountIds: nullable(Type.Array(Type.String())),
  environment: Environment,
  enabled: Type.Boolean(),
  disabledReason: nullable(Type.String()),
  disabledAt: nullable(DateTime),
  headers: Type.Record(Type.String(), Type.String()),
  metadata: Metadata,
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const DeliveryStatus = StringEnum(['pending', 'succeeded', 'failed'] as const);

export const Attempt = Type.Object({
  id: Type.String({ format: 'uuid' }),
  attemptNumber: Type.Integer(),
  url: Type.String(),
  requestHeaders: Type.Record(Type.String(), Type.String(), { description: 'As sent; custom headers that look like credentials are masked.' }),
  outcome: Type.String({ description: 'success, http_3xx, http_4xx, http_5xx, timeout, dns, connect, tls, ssrf_blocked, network, …' }),
  statusCode: nullable(Type.Integer()),
  responseHeaders: nullable(Type.Record(Type.String(), Type.String())),
  responseBody: nullable(Type.String({ description: 'The first bytes of the response body (20 KB by default).' })),
  responseTruncated: Type.Boolean(),
  error: nullable(Type.String()),
  durationMs: Type.Integer(),
  createdAt: DateTime,
});

export const Delivery = Type.Object({
  id: Type.String({ format: 'uuid' }),
  tenantId: Type.String(),
  eventId: Type.String({ format: 'uuid' }),
  endpointId: Type.String({ format: 'uuid' }),
  eventType: Type.String(),
  environment: Environment,
  status: DeliveryStatus,
  attemptCount: Type.Integer(),
  nextAttemptAt: nullable(DateTime),
  lastAttemptAt: nullable(DateTime),
  lastOutcome: nullable(Type.String()),
  lastStatusCode: nullable(Type.Integer()),
  lastError: nullable(Type.String()),
  succeededAt: nullable(DateTime),
  clonedFrom: nullable(Type.String({ format: 'uuid' })),
  createdAt: DateTime,
});

export const Job = Type.Object({
  id: Type.String({ format: 'uuid' }),
  tenantId: Type.String(),
  kind: Type.String(),
  params: Type.Record(Type.String(), Type.Unknown()),
  status: StringEnum(['queued', 'running', 'succeeded', 'failed'] as const),
  total: nullable(Type.Integer({ description: 'Events to look at; known once the job starts.' })),
  processed: Type.Integer({ description: 'Events looked at so far.' }),
  createdCount: Type.Integer({ description: 'Deliveries created so far.' }),
  error: nullable(Type.String()),
  createdAt: DateTime,
  startedAt: nullable(DateTime),
  finishedAt: nullable(DateTime),
});

const Window = Type.Object({
  deliveries: Type.Object({ total: Type.Integer(), succeeded: Type.Integer(), failed: Type.Integer(), pending: Type.Integer() }),
  successRate: nullable(Type.Number({ description: 'succeeded / (succeeded + failed); null when none finished.' })),
  attempts: Type.Object({
    total: Type.Integer(),
    byOutcome: Type.Record(Type.String(), Type.Integer()),
    latencyMs: Type.Object({ p50: nullable(Type.Integer()), p90: nullable(Type.Integer()), p99: nullable(Type.Integer()) }),
  }),
});
export const EndpointStats = Type.Object({ hour: Window, day: Window, week: Window });
