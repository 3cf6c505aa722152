// TypeBox schemas of the Flute v2 surface and the functions that turn Herald's objects into its
// shapes. Names follow the document: a webhook is identified by `webhookId`, its URL is
// `endpointUrl`, a merchant is a tenant (`merchantId`), a delivery-log entry is a delivery (`id`).
import { Type, type TSchema } from 'typebox';
import type { Endpoint, EventType as HeraldEventType } from '../../domain/types.ts';
import type { AttemptWithRequestBody } from '../../services/deliveries.ts';
import type { Delivery } from '../../store/deliveryLog.ts';
import { DateTime, DeliveryStatus, Environment, nullable, StringEnum } from '../native/schemas.ts';

export const tags = ['Flute v2 (seed 000)'];

export const FluteErrors = Type.Object(
  {
    errors: Type.Array(
      Type.Object({
        code: Type.String({ description: 'Stable error code: validation_failed, malformed_request, unauthenticated, forbidden, not_found, conflict, rate_limited, …' }),
        message: Type.String(),
        field: Type.Optional(Type.String({ description: 'The invalid field, e.g. endpointUrl or eventTypes[1].' })),
      }),
    ),
  },
  { $id: 'FluteV2Errors', description: 'Flute v2 error answer' },
);

/** Error answers every route of this surface may give. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries([401, 403, 404, 429, ...statuses].map((s) => [s, Type.Ref('FluteV2Errors')]));
}

const merchantId = Type.String({
  minLength: 1,
  description: "The merchant to act for. Default: the API key's own merchant. A partner's key may name one of its merchants.",
});
export const MerchantQuery = Type.Object({ merchantId: Type.Optional(merchantId) }, { additionalProperties: false });
export const WebhookParams = Type.Object({ webhookId: Type.String({ description: 'The webhookId answered on creation.' }) });
export const LogParams = Type.Object({ id: Type.String({ description: 'The id of a delivery-log entry.' }) });

export function List<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item) });
}

export const EventType = Type.Object({
  name: Type.String({ description: 'e.g. payment.succeeded' }),
  description: Type.String(),
  schema: nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema of the event data, if the operator gave one.' })),
  deprecated: Type.Boolean(),
});

export const toEventType = (t: HeraldEventType) => ({ name: t.name, description: t.description, schema: t.schema, deprecated: t.deprecated });

const webhookFields = {
  endpointUrl: Type.String({ description: 'The https:// URL the messages are sent to.' }),
  eventTypes: Type.Array(Type.String(), {
    description: 'At least one of the event types this webhook accepts (see GET /v2/webhooks/event-types); a prefix such as `payment.*`, or `*`, covers every type below it.',
  }),
  description: Type.Optional(Type.String()),
  enabled: Type.Optional(Type.Boolean({ description: 'Default true. false stops the sending without deleting the webhook.' })),
};
export const WebhookCreate = Type.Object(webhookFields, { additionalProperties: false });
export const WebhookUpdate = Type.Partial(Type.Object(webhookFields), { additionalProperties: false });

export const Webhook = Type.Object({
  webhookId: Type.String({ format: 'uuid' }),
  merchantId: Type.String(),
  endpointUrl: Type.String(),
  eventTypes: Type.Array(Type.String()),
  description: Type.String(),
  enabled: Type.Boolean(),
  disabledReason: nullable(Type.String()),
  environment: Environment,
  createdAt: DateTime,
  updatedAt: DateTime,
});
export const WebhookWithSecret = Type.Intersect([
  Webhook,
  Type.Object({ secret: Type.String({ description: 'The HMAC signing secret (`whsec_…`), shown only here.' }) }),
]);

export const toWebhook = (e: Endpoint) => ({
  webhookId: e.id,
  merchantId: e.tenantId,
  endpointUrl: e.url,
  eventTypes: e.eventTypes,
  description: e.description,
  enabled: e.enabled,
  disabledReason: e.disabledReason,
  environment: e.environment,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});

/** A delivery-log entry: one message for one webhook. The export has the same fields. */
export const DeliveryLog = Type.Object({
  id: Type.String({ format: 'uuid' }),
  eventId: Type.String({ format: 'uuid' }),
  eventType: Type.String(),
  webhookId: Type.String({ format: 'uuid' }),
  environment: Environment,
  status: DeliveryStatus,
  attemptCount: Type.Integer(),
  createdAt: DateTime,
  lastAttemptAt: nullable(DateTime),
  lastOutcome: nullable(Type.String({ description: 'success, http_4xx, http_5xx, timeout, dns, connect, tls, ssrf_blocked, …' })),
  lastStatusCode: nullable(Type.Integer()),
  lastError: nullable(Type.String()),
  succeededAt: nullable(DateTime),
  nextAttemptAt: nullable(DateTime),
  clonedFrom: nullable(Type.String({ format: 'uuid' })),
});

/** Dates may be Date objects or, in a replayed idempotent answer, strings already. */
type Dated<T> = { [K in keyof T]: T[K] extends Date ? Date | string : T[K] extends Date | null ? Date | string | null : T[K] };

export const toDeliveryLog = (d: Dated<Delivery>) => ({
  id: d.id,
  eventId: d.eventId,
  eventType: d.eventType,
  webhookId: d.endpointId,
  environment: d.environment,
  status: d.status,
  attemptCount: d.attemptCount,
  createdAt: d.createdAt,
  lastAttemptAt: d.lastAttemptAt,
  lastOutcome: d.lastOutcome,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  succeededAt: d.succeededAt,
  nextAttemptAt: d.nextAttemptAt,
  clonedFrom: d.clonedFrom,
});

const Response = nullable(
  Type.Object(
    {
      statusCode: Type.Integer(),
      headers: Type.Record(Type.String(), Type.String()),
      body: Type.String({ description: 'The first bytes of the body (20 KB by default).' }),
      truncated: Type.Boolean(),
    },
    { description: 'What the receiver answered; null when no answer arrived.' },
  ),
);

const attemptFields = {
  id: Type.String({ format: 'uuid' }),
  attemptNumber: Type.Integer(),
  createdAt: DateTime,
  durationMs: Type.Integer(),
  success: Type.Boolean({ description: 'A 2xx answer arrived in time.' }),
  outcome: Type.String({ description: 'success, http_3xx, http_4xx, http_5xx, timeout, dns, connect, tls, ssrf_blocked, network, endpoint_deleted, …' }),
  error: nullable(Type.String()),
  response: Response,
};
export const PingAttempt = Type.Object(attemptFields);
export const Attempt = Type.Object({
  ...attemptFields,
  request: Type.Object({
    method: Type.Literal('POST'),
    url: Type.String(),
    headers: Type.Record(Type.String(), Type.String(), { description: 'As sent; custom headers that look like credentials are masked.' }),
    body: nullable(Type.String({ description: 'The JSON body as sent; null when no request was made.' })),
  }),
});
export const DeliveryLogWithAttempts = Type.Intersect([DeliveryLog, Type.Object({ attempts: Type.Array(Attempt) })]);

interface AttemptLike {
  id: string;
  attemptNumber: number;
  createdAt: Date;
  durationMs: number;
  outcome: string;
  error: string | null;
  statusCode: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  responseTruncated: boolean;
}

function responseOf(a: AttemptLike) {
  if (a.statusCode === null) return null;
  return { statusCode: a.statusCode, headers: a.responseHeaders ?? {}, body: a.responseBody ?? '', truncated: a.responseTruncated };
}

export const toPingAttempt = (a: AttemptLike) => ({
  id: a.id,
  attemptNumber: a.attemptNumber,
  createdAt: a.createdAt,
  durationMs: a.durationMs,
  success: a.outcome === 'success',
  outcome: a.outcome,
  error: a.error,
  response: responseOf(a),
});

export const toAttempt = (a: AttemptWithRequestBody) => ({
  ...toPingAttempt(a),
  request: { method: 'POST' as const, url: a.url, headers: a.requestHeaders, body: a.requestBody },
});

export const PingResult = Type.Object({
  webhookId: Type.String({ format: 'uuid' }),
  success: Type.Boolean({ description: 'The endpoint answered 2xx in time.' }),
  deliveryLogId: Type.String({ format: 'uuid', description: 'The ping is logged like any message: its delivery-log entry.' }),
  eventId: Type.String({ format: 'uuid' }),
  attempt: PingAttempt,
});

const filters = {
  status: Type.Optional(DeliveryStatus),
  eventType: Type.Optional(Type.String()),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after.' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Created before.' })),
};
const paging = {
  limit: Type.Integer({ minimum: 1, maximum: 250, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
};
const webhookFilter = { webhookId: Type.Optional(Type.String({ format: 'uuid', description: 'Only the entries of this webhook.' })) };
export const LogQuery = Type.Object({ ...MerchantQuery.properties, ...webhookFilter, ...filters, ...paging }, { additionalProperties: false });
export const WebhookLogQuery = Type.Object({ ...MerchantQuery.properties, ...filters, ...paging }, { additionalProperties: false });
export const ExportQuery = Type.Object(
  { format: StringEnum(['csv', 'json'] as const, { default: 'csv' }), ...MerchantQuery.properties, ...webhookFilter, ...filters },
  { additionalProperties: false },
);

export function LogPage<T extends TSchema>(item: T) {
  return Type.Object({
    data: Type.Array(item),
    pagination: Type.Object({ limit: Type.Integer(), offset: Type.Integer(), totalCount: Type.Integer() }),
  });
}
