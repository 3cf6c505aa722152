// Herald's objects in this document's words: an endpoint is a "webhook"; the delivery of an event
// to it is an "event" (its id is the event id, the `id` of the delivered body); attempts keep
// their ids, with the request and the response as recorded.
import type { Endpoint } from '../../domain/types.ts';
import type { Attempt, Delivery } from '../../store/deliveryLog.ts';

export function toWebhook(endpoint: Endpoint) {
  return {
    id: endpoint.id,
    created: endpoint.createdAt,
    updated: endpoint.updatedAt,
    endpoint: endpoint.url,
    events: endpoint.eventTypes,
    enabled: endpoint.enabled,
  };
}

const eventStatus = { pending: 'PENDING', succeeded: 'SUCCESS', failed: 'FAILED' } as const;

export function toEvent(delivery: Delivery) {
  return {
    id: delivery.eventId,
    type: delivery.eventType,
    created: delivery.createdAt,
    updated: delivery.lastAttemptAt ?? delivery.createdAt,
    status: eventStatus[delivery.status],
  };
}

export function toAttempt(attempt: Attempt) {
  return {
    id: attempt.id,
    created: attempt.createdAt,
    status: attempt.outcome === 'success' ? ('SUCCESS' as const) : ('FAILED' as const),
    request: { endpoint: attempt.url, headers: attempt.requestHeaders },
    response:
      attempt.statusCode === null
        ? null
        : { statusCode: attempt.statusCode, headers: attempt.responseHeaders ?? {}, body: attempt.responseBody ?? '', time: attempt.durationMs },
  };
}
