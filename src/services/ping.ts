// Test an endpoint: send it a `webhook.ping` event now, from this process, and answer with what
// happened. The ping is logged like any delivery (one attempt, no retries) so it shows up in the
// endpoint's history. A disabled endpoint can be pinged: that is how one checks it before
// re-enabling it.
import { attemptDelivery } from '../delivery/dispatch.ts';
import { notFound } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { Actor } from '../domain/types.ts';
import { recordAttempts, type ClaimedDelivery } from '../store/deliveries.ts';
import { getEndpoint, getEndpointSecrets } from '../store/endpoints.ts';
import { insertEventsWithDeliveries } from '../store/events.ts';
import type { Attempt } from '../store/deliveryLog.ts';
import { actorEnvironment, reachTenant } from './access.ts';
import type { Context } from './context.ts';
import { dispatchDeps } from './dispatchDeps.ts';

export const pingEventType = 'webhook.ping';

export interface PingResult {
  success: boolean;
  eventId: string;
  deliveryId: string;
  attempt: Omit<Attempt, 'deliveryId' | 'requestHeaders'>;
}

export async function pingEndpoint(ctx: Context, actor: Actor, tenantId: string, endpointId: string): Promise<PingResult> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:write');
  const scope = { tenantId, environment: actorEnvironment(actor) };
  const endpoint = await getEndpoint(ctx.db, scope, endpointId);
  const secrets = await getEndpointSecrets(ctx.db, scope, endpointId);
  if (!endpoint || !secrets) throw notFound('endpoint', endpointId);

  const createdAt = new Date();
  const payload = JSON.stringify({ message: 'This is a test event from Herald.', endpointId });
  const delivery: ClaimedDelivery = {
    id: newId(),
    tenantId,
    eventId: newId(),
    endpointId,
    attemptCount: 0,
    event: { type: pingEventType, payload, accountId: null, environment: endpoint.environment, createdAt },
    endpoint: {
      url: endpoint.url,
      enabled: true,
      headers: endpoint.headers,
      secretSealed: secrets.current,
      previousSecretSealed: secrets.previous,
      previousSecretExpiresAt: secrets.previousExpiresAt,
    },
  };
  // Written first (due only after the attempt's deadline, so no worker takes it), then sent here.
  const leaseUntil = new Date(createdAt.getTime() + ctx.config.deliveryTimeoutMs + 60_000);
  await insertEventsWithDeliveries(
    ctx.db,
    [{ id: delivery.eventId, tenantId, type: pingEventType, environment: endpoint.environment, accountId: null, relatedEntityId: null, relatedEntityType: null, payload, createdAt }],
    [{ id: delivery.id, tenantId, eventId: delivery.eventId, endpointId, createdAt, dueAt: leaseUntil }],
  );
  const { completion } = await attemptDelivery(delivery, dispatchDeps(ctx));
  const success = completion.status === 'succeeded';
  // One attempt only, and a failed ping says nothing about the endpoint's health.
  await recordAttempts(ctx.db, [{ ...completion, status: success ? 'succeeded' : 'failed', nextAttemptAt: null, countsAsFailure: false }]);
  const { requestHeaders: _, ...attempt } = completion.attempt;
  return { success, eventId: delivery.eventId, deliveryId: delivery.id, attempt };
}
