// Publishing: validate events, fan each out to every matching endpoint, and write events and
// deliveries together — an acknowledged event always has its deliveries.
import { FieldErrors, forbidden, joinPath } from '../domain/errors.ts';
import { assertEventTypeName, subscriptionsCover } from '../domain/eventTypes.ts';
import { newId } from '../domain/ids.ts';
import type { Actor, Environment } from '../domain/types.ts';
import type { Queryable } from '../store/db.ts';
import { insertEventsWithDeliveries, listFanOutTargets, type FanOutTarget, type NewDelivery, type NewEvent } from '../store/events.ts';
import { actorEnvironment, reachTenant } from './access.ts';
import type { Context } from './context.ts';
import { idempotent, requestFingerprint, type IdempotentAnswer } from './idempotency.ts';

export interface PublishInput {
  type: string;
  /** The parsed data, for schema validation. */
  data: unknown;
  /** The data exactly as received: this is what receivers get. */
  payload: string;
  accountId?: string | null;
  environment?: Environment;
  relatedEntity?: { id: string; type: string } | null;
}

export interface PublishedEvent {
  id: string;
  type: string;
  environment: Environment;
  accountId: string | null;
  createdAt: string;
  /** How many endpoints the event was fanned out to. */
  deliveries: number;
}

export const maxBatchSize = 1000;

/** Whether an endpoint's account filter (null: none) lets through events of `accountId` (null: no account). */
export function coversAccount(accountIds: string[] | null, accountId: string | null): boolean {
  return accountIds === null || (accountId !== null && accountIds.includes(accountId));
}

/** The endpoints that must receive an event: subscribed to its type, and to its account if they filter. */
export function matchingTargets(targets: FanOutTarget[], type: string, accountId: string | null): FanOutTarget[] {
  return targets.filter((t) => subscriptionsCover(t.eventTypes, type) && coversAccount(t.accountIds, accountId));
}

async function validateInput(ctx: Context, input: PublishInput, errors: FieldErrors, path: string): Promise<void> {
  const at = (field: string) => joinPath(path, field);
  const nameError = errors.list.length;
  errors.collect(path, () => assertEventTypeName(input.type, 'type'));
  if (errors.list.length === nameError) {
    const entry = await ctx.catalog.lookup(input.type);
    if (!entry) errors.add(at('type'), `${JSON.stringify(input.type)} is not a known event type (PUT /v1/event-types/${input.type} first)`);
    else if (entry.validate && !entry.validate(input.data)) {
      for (const e of entry.validate.errors ?? []) {
        const sub = e.instancePath.split('/').slice(1).reduce((p, s) => (/^\d+$/.test(s) ? `${p}[${s}]` : joinPath(p, s)), '');
        const field = e.keyword === 'required' ? joinPath(sub, String(e.params.missingProperty)) : sub;
        errors.add(joinPath(at('data'), field), e.keyword === 'required' ? 'is required by the event type schema' : `${e.message ?? 'is invalid'} (event type schema)`);
      }
    }
  }
  if (input.accountId !== undefined && input.accountId !== null && (input.accountId.length === 0 || input.accountId.length > 256)) {
    errors.add(at('accountId'), 'must be 1 to 256 characters');
  }
  if (input.relatedEntity && (!input.relatedEntity.id || !input.relatedEntity.type)) {
    errors.add(at('relatedEntity'), 'must have a non-empty id and type');
  }
}

/**
 * Publishes events for one tenant, all or nothing. With an idempotency key, repeating the same
 * request returns the first answer without publishing again.
 */
export async function publishEvents(
  ctx: Context,
  actor: Actor,
  tenantId: string,
  inputs: PublishInput[],
  options: { idempotencyKey?: string; requestBody?: string; batch?: boolean } = {},
): Promise<IdempotentAnswer<PublishedEvent[]>> {
  await reachTenant(ctx, actor, tenantId, 'events:publish');
  const keyEnvironment = actorEnvironment(actor);
  const errors = new FieldErrors();
  if (inputs.length > maxBatchSize) errors.add('events', `must have at most ${maxBatchSize} events`);
  for (const [i, input] of inputs.entries()) await validateInput(ctx, input, errors, options.batch ? `events[${i}]` : '');
  errors.throwIfAny();
  for (const input of inputs) {
    if (keyEnvironment && input.environment && input.environment !== keyEnvironment) {
      throw forbidden(`a ${keyEnvironment} API key publishes only ${keyEnvironment} events`);
    }
  }
  const answer = await idempotent(
    ctx,
    { tenantId, scope: 'publish', key: options.idempotencyKey, fingerprint: requestFingerprint(options.batch ? 'batch' : 'single', options.requestBody ?? JSON.stringify(inputs.map((i) => [i.type, i.payload]))) },
    async (tx) => ({ status: 202, body: await storeFannedOut(tx, tenantId, inputs, keyEnvironment) }),
  );
  if (!answer.replayed) ctx.signal.wake();
  return answer;
}

/** Fans events out to the matching endpoints and stores events and deliveries in one statement. */
export async function storeFannedOut(q: Queryable, tenantId: string, inputs: PublishInput[], keyEnvironment: Environment | undefined): Promise<PublishedEvent[]> {
  const targetsByEnvironment = new Map<Environment, FanOutTarget[]>();
  const events: NewEvent[] = [];
  const deliveries: NewDelivery[] = [];
  const published: PublishedEvent[] = [];
  const createdAt = new Date();
  for (const input of inputs) {
    const environment = input.environment ?? keyEnvironment ?? 'live';
    let targets = targetsByEnvironment.get(environment);
    if (!targets) targetsByEnvironment.set(environment, (targets = await listFanOutTargets(q, tenantId, environment)));
    const accountId = input.accountId ?? null;
    const event: NewEvent = {
      id: newId(),
      tenantId,
      type: input.type,
      environment,
      accountId,
      relatedEntityId: input.relatedEntity?.id ?? null,
      relatedEntityType: input.relatedEntity?.type ?? null,
      payload: input.payload,
      createdAt,
    };
    events.push(event);
    const matched = matchingTargets(targets, input.type, accountId);
    for (const target of matched) deliveries.push({ id: newId(), tenantId, eventId: event.id, endpointId: target.id, createdAt });
    published.push({ id: event.id, type: event.type, environment, accountId, createdAt: createdAt.toISOString(), deliveries: matched.length });
  }
  await insertEventsWithDeliveries(q, events, deliveries);
  return published;
}
