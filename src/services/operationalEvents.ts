// Herald's own events, delivered by the same pipeline to the endpoints the operator registered on
// the `_herald` tenant: endpoint.disabled and delivery.exhausted.
import { operationsTenantId } from '../domain/types.ts';
import type { Context } from './context.ts';
import { storeFannedOut } from './publish.ts';

export interface OperationalEvent {
  type: 'endpoint.disabled' | 'delivery.exhausted';
  data: Record<string, unknown>;
}

export async function emitOperationalEvents(ctx: Context, events: OperationalEvent[]): Promise<void> {
  if (events.length === 0) return;
  const inputs = events.map((e) => ({ type: e.type, data: e.data, payload: JSON.stringify(e.data), environment: 'live' as const }));
  const published = await storeFannedOut(ctx.db, operationsTenantId, inputs, undefined);
  if (published.some((p) => p.deliveries > 0)) ctx.signal.wake();
}

export function endpointDisabledEvent(e: { id: string; tenantId: string; url: string; reason: string; disabledAt: Date }): OperationalEvent {
  return { type: 'endpoint.disabled', data: { endpointId: e.id, tenantId: e.tenantId, url: e.url, reason: e.reason, disabledAt: e.disabledAt.toISOString() } };
}
