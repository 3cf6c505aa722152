// TypeBox schemas of the flexEngage webhooks API (seed 002), named as its document names them.
// They validate requests, shape answers (fields not listed are never sent) and feed /openapi.json.
import { Type, type Static, type TSchema } from 'typebox';

export const tags = ['flexEngage (seed 002)'];

/** Dates leave as RFC 3339 strings; handlers may return Date objects, which the serializer formats. */
const DateTime = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });

function nullable<T extends TSchema>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ anyOf: [schema, { type: 'null' }] });
}

export const ApiErrorResponse = Type.Object(
  {
    message: Type.String({ description: 'The error message' }),
    description: Type.String({ description: 'A more detailed description of the error' }),
    status: Type.Integer({ description: 'This code matches the HTTP status code.' }),
    validations: Type.Optional(Type.Record(Type.String(), Type.String(), {
      description: 'If the error is based on validation constraints, those constraints will be expressed in this map.',
    })),
  },
  { $id: 'FlexEngageApiErrorResponse', description: 'API Error response' },
);

/** Error answers every route may give (the document's tables), plus the route's own. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries([401, 403, 404, 429, 500, ...statuses].map((s) => [s, Type.Ref('FlexEngageApiErrorResponse')]));
}

const brandId = Type.String({ description: 'This is your account identifier (the Herald tenant id).' });
const webhookId = Type.String({ description: 'The webhook ID (a UUID)' });
export const BrandParams = Type.Object({ brandId });
export const WebhookParams = Type.Object({ brandId, id: webhookId });
export const EventParams = Type.Object({ brandId, id: webhookId, eventId: Type.String({ description: 'The event ID (a UUID)' }) });

const events = Type.Array(Type.String(), {
  description: 'Event types, hierarchical: NOTIFICATION.SMS.RECEIPT, a group such as NOTIFICATION or NOTIFICATION.*, or * for all.',
});

export const WebhookRequest = Type.Object(
  {
    endpoint: Type.String({ description: 'The HTTPS URL that receives the events.' }),
    events,
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export const WebhookPatchRequest = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false });

export const WebhookResponse = Type.Object({
  id: Type.String({ format: 'uuid' }),
  created: DateTime,
  updated: DateTime,
  endpoint: Type.String({ format: 'uri' }),
  events,
  enabled: Type.Boolean(),
});

export const eventStatuses = ['PENDING', 'SUCCESS', 'FAILED'] as const;
const EventStatus = Type.Unsafe<(typeof eventStatuses)[number]>({
  type: 'string',
  enum: [...eventStatuses],
  description: 'PENDING while Herald is still trying (retries included), SUCCESS once a 2xx arrived, FAILED when it gave up.',
});

export const WebhookEvent = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The event id (the `id` of the delivered body)' }),
  type: Type.String(),
  created: DateTime,
  updated: DateTime,
  status: EventStatus,
});

export const EventsQuery = Type.Object(
  {
    size: Type.Integer({ minimum: 1, default: 20, description: 'The page size (at most 100)' }),
    start: Type.Optional(Type.String({ format: 'date-time', description: 'The query start time (inclusive)' })),
    end: Type.Optional(Type.String({ format: 'date-time', description: 'The query end time (exclusive)' })),
    startId: Type.Optional(Type.String({ format: 'uuid', description: 'The event ID used to start the page: the page holds the events after it (pass page.lastId)' })),
  },
  { additionalProperties: false },
);

export const WebhookEventsResponsePage = Type.Object({
  events: Type.Array(WebhookEvent),
  page: Type.Object({
    size: Type.Integer(),
    startId: nullable(Type.String({ format: 'uuid' })),
    lastId: nullable(Type.String({ format: 'uuid', description: 'Pass it as startId for the next page; null on the last page.' })),
  }),
});

const Attempt = Type.Object({
  id: Type.String({ format: 'uuid' }),
  created: DateTime,
  status: Type.Unsafe<'SUCCESS' | 'FAILED'>({ type: 'string', enum: ['SUCCESS', 'FAILED'] }),
  request: Type.Object({ endpoint: Type.String({ format: 'uri' }), headers: Type.Record(Type.String(), Type.String()) }),
  response: nullable(Type.Object(
    {
      statusCode: Type.Integer(),
      headers: Type.Record(Type.String(), Type.String()),
      body: Type.String(),
      time: Type.Integer({ description: 'Duration of the attempt in milliseconds' }),
    },
    { description: 'What the endpoint answered; null when no response arrived (timeout, connection error).' },
  )),
});

export const WebhookEventResponse = Type.Object({ ...WebhookEvent.properties, attempts: Type.Array(Attempt) });
