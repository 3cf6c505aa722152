// Publishing: validate events, fan each out to every matching endpoint, and write events and
// deliveries together — an acknowledged event always has its deliveries.
import { FieldErrors, forbidden, joinPath } from '../domain/errors.ts';
import { assertEventTypeName, subscriptionsCover } from '../domain/eventTypes.ts';
import { newId } from '../domain/ids.ts';
import type { Actor, Environment } from '../domain/types.ts';
import { fieldErrorsFromAjv } from '../domain/schemaErrors.ts';
import type { Handoff } from '../delivery/worker.ts';
import type { Queryable } from '../store/db.ts';
import type { ClaimedDelivery } from '../store/deliveries.ts';
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
export function matchingTargets<T extends Pick<FanOutTarget, 'eventTypes' | 'accountIds'>>(targets: T[], type: string, accountId: string | null): T[] {
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
      for (const e of fieldErrorsFromAjv(entry.validate.errors ?? [], at('data'))) errors.add(e.path, `${e.message} (event type schema)`);
    }
  }
  if (input.accountId !== undefined && input.accountId !== null && (input.accountId.length === 0 || input.accountId.length > 256)) {
    errors.add(at('accountId'), 'must be 1 to 256 characters');
  }
  if (input.relatedEntity && (!input.relatedEntity.id || !input.relatedEntity.type)) {
    errors.add(at('relatedEntity'), 'must have a non-empty id and type');
  }
  // PostgreSQL's text cannot hold NUL. Found here, not by the database: publishes are written in
  // groups, and one such value would fail every publish of its group, other tenants' too.
  const texts: [string, string | null | undefined][] = [
    ['accountId', input.accountId],
    ['relatedEntity.id', input.relatedEntity?.id],
    ['relatedEntity.type', input.relatedEntity?.type],
  ];
  for (const [field, value] of texts) if (value?.includes('\0')) errors.add(at(field), 'must not contain NUL characters');
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
  const request = { tenantId, inputs, keyEnvironment };
  if (options.idempotencyKey === undefined) {
    // The common case goes through group commit: concurrent publishes share one write.
    return { status: 202, body: await ctx.publisher.publish(request), replayed: false };
  }
  const answer = await idempotent(
    ctx,
    { tenantId, scope: 'publish', key: options.idempotencyKey, fingerprint: requestFingerprint(options.batch ? 'batch' : 'single', options.requestBody ?? JSON.stringify(inputs.map((i) => [i.type, i.payload]))) },
    async (tx) => ({ status: 202, body: (await storeFannedOut(tx, [request])).events[0]! }),
  );
  if (!answer.replayed) ctx.signal.wake();
  return answer;
}

/** One publish call: a tenant's events, and the environment of the key that sent them. */
export interface PublishRequest {
  tenantId: string;
  inputs: PublishInput[];
  keyEnvironment: Environment | undefined;
}

/** Takes fresh deliveries straight from publishing: a delivery worker in this process. */
export interface DeliveryTaker {
  offer(endpointIds: readonly string[]): Handoff | undefined;
}

/**
 * Fans out the events of several publish calls and stores them with their deliveries: one query
 * reads every target, one statement writes everything. Returns each call's published events, and
 * how many deliveries went to the queue rather than to `taker`.
 *
 * `taker` may only be given when `q` commits the write itself (not inside a transaction): what it
 * takes is handed over as soon as the write returns.
 */
export async function storeFannedOut(q: Queryable, requests: PublishRequest[], taker?: DeliveryTaker): Promise<{ events: PublishedEvent[][]; queued: number }> {
  const environmentOf = (r: PublishRequest, input: PublishInput): Environment => input.environment ?? r.keyEnvironment ?? 'live';
  const pairs = new Map<string, { tenantId: string; environment: Environment }>();
  for (const r of requests) {
    for (const input of r.inputs) {
      const environment = environmentOf(r, input);
      pairs.set(`${r.tenantId}\0${environment}`, { tenantId: r.tenantId, environment });
    }
  }
  const targets = new Map<string, FanOutTarget[]>([...pairs.keys()].map((key) => [key, []]));
  for (const t of await listFanOutTargets(q, [...pairs.values()])) targets.get(`${t.tenantId}\0${t.environment}`)?.push(t);

  const events: NewEvent[] = [];
  const deliveries: NewDelivery[] = [];
  // One event object for all of an event's handed-over deliveries, as a claim gives (claim.ts):
  // crossing to the worker's thread, its payload is copied once, not once per endpoint.
  const sends: { event: ClaimedDelivery['event']; target: FanOutTarget }[] = [];
  const createdAt = new Date();
  const answers = requests.map((r) =>
    r.inputs.map((input): PublishedEvent => {
      const environment = environmentOf(r, input);
      const accountId = input.accountId ?? null;
      const event: NewEvent = {
        id: newId(),
        tenantId: r.tenantId,
        type: input.type,
        environment,
        accountId,
        relatedEntityId: input.relatedEntity?.id ?? null,
        relatedEntityType: input.relatedEntity?.type ?? null,
        payload: input.payload,
        createdAt,
      };
      events.push(event);
      const sent = { type: event.type, payload: event.payload, accountId, environment, createdAt };
      const matched = matchingTargets(targets.get(`${r.tenantId}\0${environment}`)!, input.type, accountId);
      for (const target of matched) {
        deliveries.push({ id: newId(), tenantId: r.tenantId, eventId: event.id, endpointId: target.id, createdAt });
        sends.push({ event: sent, target });
      }
      return { id: event.id, type: event.type, environment, accountId, createdAt: createdAt.toISOString(), deliveries: matched.length };
    }),
  );
  const handoff = deliveries.length > 0 ? taker?.offer(deliveries.map((d) => d.endpointId)) : undefined;
  if (handoff) deliveries.forEach((d, i) => handoff.taken[i] && (d.leaseMs = handoff.leaseMs));
  try {
    await insertEventsWithDeliveries(q, events, deliveries);
  } catch (error) {
    handoff?.cancel();
    throw error;
  }
  handoff?.deliver(deliveries.flatMap((d, i) => (handoff.taken[i] ? [claimedFresh(d, sends[i]!.event, sends[i]!.target)] : [])));
  return { events: answers, queued: handoff ? handoff.taken.filter((t) => !t).length : deliveries.length };
}

/** A new delivery as a claim would return it: first attempt, the event and endpoint as written and read. */
function claimedFresh(d: NewDelivery, event: ClaimedDelivery['event'], target: FanOutTarget): ClaimedDelivery {
  return { id: d.id, tenantId: d.tenantId, eventId: d.eventId, endpointId: d.endpointId, attemptCount: 0, event, endpoint: target.endpoint };
}
