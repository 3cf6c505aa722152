// Sending a delivery again, by hand: retry (another attempt of the same delivery) or redeliver
// (a new delivery cloned from it, which points back to the original). Both honour idempotency keys.
import { conflict, notFound } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { Actor } from '../domain/types.ts';
import { requeueDelivery } from '../store/deliveries.ts';
import * as log from '../store/deliveryLog.ts';
import { insertEventsWithDeliveries } from '../store/events.ts';
import { actorEnvironment, reachTenant } from './access.ts';
import type { Context } from './context.ts';
import { idempotent, requestFingerprint, type IdempotentAnswer } from './idempotency.ts';

async function findDelivery(ctx: Context, actor: Actor, tenantId: string, id: string): Promise<log.Delivery> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:write');
  const delivery = await log.getDelivery(ctx.db, { tenantId, environment: actorEnvironment(actor) }, id);
  if (!delivery) throw notFound('delivery', id);
  return delivery;
}

export async function retryDelivery(ctx: Context, actor: Actor, tenantId: string, id: string, idempotencyKey?: string): Promise<IdempotentAnswer<log.Delivery>> {
  await findDelivery(ctx, actor, tenantId, id);
  const answer = await idempotent(ctx, { tenantId, scope: 'retry', key: idempotencyKey, fingerprint: requestFingerprint('retry', id) }, async (tx) => {
    if (!(await requeueDelivery(tx, tenantId, id))) throw conflict(`delivery ${id} is being sent right now: retry once this attempt ends`);
    return { status: 202, body: (await log.getDelivery(tx, { tenantId }, id))! };
  });
  if (!answer.replayed) ctx.signal.wake();
  return answer;
}

export async function redeliver(ctx: Context, actor: Actor, tenantId: string, id: string, idempotencyKey?: string): Promise<IdempotentAnswer<log.Delivery>> {
  const original = await findDelivery(ctx, actor, tenantId, id);
  const answer = await idempotent(ctx, { tenantId, scope: 'redeliver', key: idempotencyKey, fingerprint: requestFingerprint('redeliver', id) }, async (tx) => {
    const clone = { id: newId(), tenantId, eventId: original.eventId, endpointId: original.endpointId, createdAt: new Date(), clonedFrom: original.id };
    await insertEventsWithDeliveries(tx, [], [clone]);
    return { status: 202, body: (await log.getDelivery(tx, { tenantId }, clone.id))! };
  });
  if (!answer.replayed) ctx.signal.wake();
  return answer;
}
