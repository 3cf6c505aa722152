// Herald's delivery as Flowbrite's "webhook notification": typed ids (whn_, whs_), the event's
// data as `payload`, the endpoint's URL as `targetUrl`, and timestamps in the document's style.
import { Type } from 'typebox';
import type { Endpoint } from '../../domain/types.ts';
import { encodeTypedId } from '../../domain/typedIds.ts';
import type { StoredEvent } from '../../store/eventLog.ts';
import type { Delivery } from '../../store/deliveryLog.ts';
import { nullable } from '../native/schemas.ts';

export const subscriptionPrefix = 'whs';
export const notificationPrefix = 'whn';

const Timestamp = Type.String({ description: 'UTC, to the second, without a zone designator: 2025-06-01T09:05:00', examples: ['2025-06-01T09:05:00'] });

export const Notification = Type.Object({
  id: Type.String({ description: '`whn_` + 26 Crockford base32 characters', examples: ['whn_01JWN5WKTRFGQ9M6SW9NF6YW41'] }),
  subscription: Type.Object({ id: Type.String({ description: '`whs_` + 26 Crockford base32 characters', examples: ['whs_01JWN5T6S0FWX8WK1D3W59Q33X'] }) }),
  eventType: Type.String(),
  payload: Type.Unknown({ description: 'The event data, as published.' }),
  targetUrl: Type.String({ description: "The webhook subscription's URL." }),
  createdOn: Timestamp,
  sentOn: nullable(Type.String({ description: 'When the last attempt was made; null before the first.' })),
  attemptCount: Type.Integer(),
  lastError: nullable(Type.String()),
  lockedUntil: nullable(Type.String({ description: 'While a worker is sending it: until when it holds the notification.' })),
  relatedEntityId: nullable(Type.String()),
  relatedEntityType: nullable(Type.String()),
  clonedFromNotificationId: nullable(Type.String()),
});

/** "2025-06-01T09:05:00": the document's style for notification times (UTC, whole seconds). */
export function flowbriteTime(time: Date | string): string;
export function flowbriteTime(time: Date | string | null): string | null;
export function flowbriteTime(time: Date | string | null): string | null {
  return time === null ? null : new Date(time).toISOString().slice(0, 19);
}

/**
 * `delivery` may also be a delivery read back from JSON (a saved idempotent answer), where times
 * are strings.
 */
export function toNotification(delivery: Delivery, event: StoredEvent | undefined, endpoint: Pick<Endpoint, 'url'>) {
  return {
    id: encodeTypedId(notificationPrefix, delivery.id),
    subscription: { id: encodeTypedId(subscriptionPrefix, delivery.endpointId) },
    eventType: delivery.eventType,
    payload: event ? (JSON.parse(event.payload) as unknown) : null,
    targetUrl: endpoint.url,
    createdOn: flowbriteTime(delivery.createdAt),
    sentOn: flowbriteTime(delivery.lastAttemptAt),
    attemptCount: delivery.attemptCount,
    lastError: delivery.lastError,
    lockedUntil: flowbriteTime(delivery.lockedUntil ?? null),
    relatedEntityId: event?.relatedEntity?.id ?? null,
    relatedEntityType: event?.relatedEntity?.type ?? null,
    clonedFromNotificationId: delivery.clonedFrom ? encodeTypedId(notificationPrefix, delivery.clonedFrom) : null,
  };
}
