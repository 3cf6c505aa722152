import { decodeCursor, toPage, type Page } from '../domain/cursor.ts';
import { FieldErrors, forbidden, notFound } from '../domain/errors.ts';
import { validateCustomHeaders } from '../domain/customHeaders.ts';
import { normalizeEndpointUrl } from '../domain/endpointUrl.ts';
import { subscriptionProblem } from '../domain/eventTypes.ts';
import { newId } from '../domain/ids.ts';
import { assertEndpointSecret, generateEndpointSecret } from '../domain/secrets.ts';
import type { Actor, Endpoint, Environment } from '../domain/types.ts';
import * as store from '../store/endpoints.ts';
import { actorEnvironment, reachTenant } from './access.ts';
import type { Context } from './context.ts';

export interface EndpointInput {
  url: string;
  eventTypes: string[];
  description?: string;
  accountIds?: string[] | null;
  environment?: Environment;
  enabled?: boolean;
  headers?: Record<string, string>;
  metadata?: Record<string, unknown>;
}

const maxSubscriptions = 100;

/** Checks every rule at once and returns the fields to store, normalised. */
function validate(ctx: Context, actor: Actor, input: EndpointInput): store.EndpointFields {
  const errors = new FieldErrors();
  const url = errors.collect('', () => normalizeEndpointUrl(input.url, { allowHttp: ctx.config.allowHttp, network: ctx.network }));
  const eventTypes = [...new Set(input.eventTypes)];
  if (eventTypes.length === 0) errors.add('eventTypes', 'must list at least one event type (or "*" for all)');
  if (eventTypes.length > maxSubscriptions) errors.add('eventTypes', `must list at most ${maxSubscriptions} event types`);
  input.eventTypes.forEach((pattern, i) => {
    const problem = subscriptionProblem(pattern);
    if (problem) errors.add(`eventTypes[${i}]`, `${JSON.stringify(pattern)} ${problem}`);
  });
  const accountIds = input.accountIds && input.accountIds.length > 0 ? [...new Set(input.accountIds)] : null;
  accountIds?.forEach((id, i) => {
    if (id.trim() === '') errors.add(`accountIds[${i}]`, 'must not be empty');
  });
  const headers = errors.collect('', () => validateCustomHeaders(input.headers ?? {})) ?? {};
  const keyEnvironment = actorEnvironment(actor);
  const environment = input.environment ?? keyEnvironment ?? 'live';
  errors.throwIfAny();
  if (keyEnvironment && environment !== keyEnvironment) {
    throw forbidden(`a ${keyEnvironment} API key manages only ${keyEnvironment} endpoints`);
  }
  return {
    url: url!,
    description: input.description ?? '',
    eventTypes,
    accountIds,
    environment,
    enabled: input.enabled ?? true,
    headers,
    metadata: input.metadata ?? {},
  };
}

function scopeOf(actor: Actor, tenantId: string): store.EndpointScope {
  return { tenantId, environment: actorEnvironment(actor) };
}

export async function createEndpoint(
  ctx: Context,
  actor: Actor,
  tenantId: string,
  input: EndpointInput & { secret?: string },
): Promise<Endpoint & { secret: string }> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:write');
  const errors = new FieldErrors();
  const fields = errors.collect('', () => validate(ctx, actor, input));
  if (input.secret !== undefined) errors.collect('', () => assertEndpointSecret(input.secret!));
  errors.throwIfAny();
  const secret = input.secret ?? generateEndpointSecret();
  const endpoint = await store.insertEndpoint(ctx.db, { ...fields!, id: newId(), tenantId, secretSealed: ctx.box.seal(secret) });
  return { ...endpoint, secret };
}

export async function getEndpoint(ctx: Context, actor: Actor, tenantId: string, id: string): Promise<Endpoint> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:read');
  const endpoint = await store.getEndpoint(ctx.db, scopeOf(actor, tenantId), id);
  if (!endpoint) throw notFound('endpoint', id);
  return endpoint;
}

export async function listEndpoints(ctx: Context, actor: Actor, tenantId: string, query: { limit: number; cursor?: string }): Promise<Page<Endpoint>> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:read');
  const beforeId = query.cursor ? String(decodeCursor(query.cursor, ['uuid'])[0]) : undefined;
  const rows = await store.listEndpoints(ctx.db, scopeOf(actor, tenantId), beforeId, query.limit);
  return toPage(rows, query.limit, (e) => [e.id]);
}

/** PUT: every field takes the given value or its default. The secret is kept. */
export async function replaceEndpoint(ctx: Context, actor: Actor, tenantId: string, id: string, input: EndpointInput): Promise<Endpoint> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:write');
  const scope = scopeOf(actor, tenantId);
  if (!(await store.getEndpoint(ctx.db, scope, id))) throw notFound('endpoint', id);
  const updated = await store.updateEndpoint(ctx.db, scope, id, validate(ctx, actor, input));
  if (!updated) throw notFound('endpoint', id);
  return updated;
}

/** PATCH: only the given fields change. `enabled: true` re-enables an auto-disabled endpoint. */
export async function patchEndpoint(ctx: Context, actor: Actor, tenantId: string, id: string, input: Partial<EndpointInput>): Promise<Endpoint> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:write');
  const scope = scopeOf(actor, tenantId);
  const current = await store.getEndpoint(ctx.db, scope, id);
  if (!current) throw notFound('endpoint', id);
  const merged: EndpointInput = { ...current, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) };
  const updated = await store.updateEndpoint(ctx.db, scope, id, validate(ctx, actor, merged));
  if (!updated) throw notFound('endpoint', id);
  return updated;
}

export async function deleteEndpoint(ctx: Context, actor: Actor, tenantId: string, id: string): Promise<void> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:write');
  if (!(await store.deleteEndpoint(ctx.db, scopeOf(actor, tenantId), id))) throw notFound('endpoint', id);
}

export async function getEndpointSecret(ctx: Context, actor: Actor, tenantId: string, id: string): Promise<{ secret: string }> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:read');
  const sealed = await store.getEndpointSecrets(ctx.db, scopeOf(actor, tenantId), id);
  if (!sealed) throw notFound('endpoint', id);
  return { secret: ctx.box.open(sealed.current) };
}

/**
 * Replaces the signing secret. During the grace period (default HERALD_SECRET_GRACE_PERIOD, 0 =
 * none) deliveries carry signatures with both secrets, so receivers can switch without a gap.
 */
export async function rotateEndpointSecret(
  ctx: Context,
  actor: Actor,
  tenantId: string,
  id: string,
  input: { secret?: string; gracePeriodMs?: number },
): Promise<{ secret: string }> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:write');
  if (input.secret !== undefined) assertEndpointSecret(input.secret);
  const secret = input.secret ?? generateEndpointSecret();
  const grace = input.gracePeriodMs ?? ctx.config.secretGracePeriodMs;
  if (!(await store.rotateEndpointSecret(ctx.db, scopeOf(actor, tenantId), id, ctx.box.seal(secret), grace))) {
    throw notFound('endpoint', id);
  }
  return { secret };
}
