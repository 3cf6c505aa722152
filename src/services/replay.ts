// Replay: re-send what an endpoint missed in a time window — events whose delivery to it failed,
// and (unless failedOnly) events it never got at all, which is also how a new endpoint receives
// past events it would have matched (backfill). It runs as a background job in chunks, recording
// its position and progress after each, so its status can be polled and a crash loses nothing.
import { conflict, FieldErrors, notFound } from '../domain/errors.ts';
import { firstIdAt, newId } from '../domain/ids.ts';
import type { Actor } from '../domain/types.ts';
import { getEndpoint } from '../store/endpoints.ts';
import { insertEventsWithDeliveries, type NewDelivery } from '../store/events.ts';
import * as jobs from '../store/jobs.ts';
import { countReplayWindow, replayCandidates, type ReplayWindow } from '../store/replay.ts';
import { actorEnvironment, reachTenant } from './access.ts';
import type { Context } from './context.ts';
import { matchingTargets } from './publish.ts';

export const replayKind = 'replay';
const chunkSize = 500;

export interface ReplayInput {
  since: string;
  until?: string;
  failedOnly?: boolean;
}

interface ReplayParams {
  endpointId: string;
  since: string;
  until: string;
  failedOnly: boolean;
}

export async function requestReplay(ctx: Context, actor: Actor, tenantId: string, endpointId: string, input: ReplayInput): Promise<jobs.Job> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:write');
  const endpoint = await getEndpoint(ctx.db, { tenantId, environment: actorEnvironment(actor) }, endpointId);
  if (!endpoint) throw notFound('endpoint', endpointId);
  if (!endpoint.enabled) throw conflict('the endpoint is disabled: enable it before replaying, or the deliveries would fail at once');
  const errors = new FieldErrors();
  const now = new Date();
  const since = new Date(input.since);
  const until = input.until === undefined ? now : new Date(input.until);
  if (Number.isNaN(since.getTime())) errors.add('since', 'must be an RFC 3339 date-time');
  if (Number.isNaN(until.getTime())) errors.add('until', 'must be an RFC 3339 date-time');
  else if (until <= since) errors.add('until', 'must be after since');
  errors.throwIfAny();
  const params: ReplayParams = { endpointId, since: since.toISOString(), until: until.toISOString(), failedOnly: input.failedOnly ?? false };
  const job = await jobs.insertJob(ctx.db, { id: newId(), tenantId, kind: replayKind, params: { ...params } });
  ctx.signal.wake();
  return job;
}

export async function getJob(ctx: Context, actor: Actor, tenantId: string, jobId: string): Promise<jobs.Job> {
  await reachTenant(ctx, actor, tenantId, 'webhooks:read');
  const job = await jobs.getJob(ctx.db, tenantId, jobId);
  if (!job) throw notFound('job', jobId);
  return job;
}

export interface ChunkResult {
  done: boolean;
  error?: string;
}

/** Runs the next chunk of a replay job and records its progress. */
export async function runReplayChunk(ctx: Context, job: jobs.Job, leaseMs: number): Promise<ChunkResult> {
  const params = job.params as unknown as ReplayParams;
  const endpoint = await getEndpoint(ctx.db, { tenantId: job.tenantId }, params.endpointId);
  if (!endpoint) return { done: true, error: 'the endpoint was deleted' };
  const window: ReplayWindow = {
    tenantId: job.tenantId,
    environment: endpoint.environment,
    endpointId: endpoint.id,
    fromId: firstIdAt(new Date(params.since)),
    toId: firstIdAt(new Date(params.until)),
  };
  const total = job.total === null ? await countReplayWindow(ctx.db, window) : undefined;
  const candidates = await replayCandidates(ctx.db, window, job.position, chunkSize);
  const target = [{ id: endpoint.id, eventTypes: endpoint.eventTypes, accountIds: endpoint.accountIds }];
  const createdAt = new Date();
  const deliveries: NewDelivery[] = candidates
    .filter((c) => matchingTargets(target, c.type, c.accountId).length > 0)
    .filter((c) => !c.succeeded && !c.pending && (c.failed || !params.failedOnly))
    .map((c) => ({ id: newId(), tenantId: job.tenantId, eventId: c.eventId, endpointId: endpoint.id, createdAt, ...(c.lastFailedId ? { clonedFrom: c.lastFailedId } : {}) }));
  const position = candidates.at(-1)?.eventId ?? job.position;
  await ctx.db.transaction(async (tx) => {
    await insertEventsWithDeliveries(tx, [], deliveries);
    await jobs.advanceJob(tx, job.id, { total, processed: candidates.length, created: deliveries.length, position }, leaseMs);
  });
  if (deliveries.length > 0) ctx.signal.wake();
  job.position = position;
  if (total !== undefined) job.total = total;
  return { done: candidates.length < chunkSize };
}
