// Herald's own events, delivered by the same pipeline to the endpoints the operator registered on
// the `_herald` tenant: endpoint.disabled and delivery.exhausted.
import { operationsTenantId } from '../domain/types.ts';
import { describeEndpoint } from '../store/endpointHealth.ts';
import type { Context } from './context.ts';
import { storeFannedOut } from './publish.ts';

export interface OperationalEvent {
  type: 'endpoint.disabled' | 'delivery.exhausted';
  data: Record<string, unknown>;
}

export async function emitOperationalEvents(ctx: Context, events: OperationalEvent[]): Promise<void> {
  if (events.length === 0) return;
  const inputs = events.map((e) => ({ type: e.type, data: e.data, payload: JSON.stringify(e.data), environment: 'live' as const }));
  const { queued } = await storeFannedOut(ctx.db, [{ tenantId: operationsTenantId, inputs, keyEnvironment: undefined }]);
  if (queued > 0) ctx.signal.wake();
}

export function endpointDisabledEvent(e: { id: string; tenantId: string; url: string; reason: string; disabledAt: Date }): OperationalEvent {
  return { type: 'endpoint.disabled', data: { endpointId: e.id, tenantId: e.tenantId, url: e.url, reason: e.reason, disabledAt: e.disabledAt.toISOString() } };
}

export function deliveryExhaustedEvent(
  d: { id: string; tenantId: string; endpointId: string; eventId: string; event: { type: string } },
  last: { attemptNumber: number; outcome: string; statusCode: number | null; error: string | null },
): OperationalEvent {
  return {
    type: 'delivery.exhausted',
    data: {
      deliveryId: d.id,
      tenantId: d.tenantId,
      endpointId: d.endpointId,
      eventId: d.eventId,
      eventType: d.event.type,
      attempts: last.attemptNumber,
      lastOutcome: last.outcome,
      lastStatusCode: last.statusCode,
      lastError: last.error,
    },
  };
}

/** Worker hooks that turn what the worker sees into operational events (never about `_herald` itself, to avoid loops). */
export function operationalHooks(ctx: Context) {
  const emit = (events: OperationalEvent[]) =>
    emitOperationalEvents(ctx, events).catch((error) => ctx.log.error({ err: error }, 'could not emit operational events'));
  return {
    onExhausted(d: Parameters<typeof deliveryExhaustedEvent>[0], c: { attempt: Parameters<typeof deliveryExhaustedEvent>[1] }) {
      if (d.tenantId !== operationsTenantId) void emit([deliveryExhaustedEvent(d, c.attempt)]);
    },
    onEndpointDisabled(endpointId: string, reason: string) {
      void (async () => {
        const endpoint = await describeEndpoint(ctx.db, endpointId);
        if (endpoint && endpoint.tenantId !== operationsTenantId) {
          await emit([endpointDisabledEvent({ id: endpointId, tenantId: endpoint.tenantId, url: endpoint.url, reason, disabledAt: new Date() })]);
        }
      })().catch((error) => ctx.log.error({ err: error }, 'could not emit endpoint.disabled'));
    },
  };
}
