// One attempt of one delivery, in three steps (as Svix does it): prepare the signed request, make
// the HTTP call, and decide what follows from its result. Receiver failures are data: the result
// is always a Completion to record, never an exception.
import { buildEnvelope } from '../domain/envelope.ts';
import { newId } from '../domain/ids.ts';
import { nextStep, type RetryPolicy } from '../domain/retryPolicy.ts';
import { secretKey } from '../domain/secrets.ts';
import type { SecretBox } from '../domain/secretBox.ts';
import { signatureHeader } from '../domain/signature.ts';
import type { ClaimedDelivery, Completion } from '../store/deliveries.ts';
import type { Sender, SendResult } from './httpSender.ts';

export interface DispatchDeps {
  box: SecretBox;
  sender: Sender;
  policy: RetryPolicy;
  userAgent: string;
}

export interface DispatchResult {
  completion: Completion;
  /** Set when the endpoint must be disabled (it answered 410 Gone). */
  disableReason?: string;
}

const keyCache = new Map<string, Buffer>();

/** The HMAC key of a sealed secret; decrypting once per secret, not once per delivery. */
function signingKey(box: SecretBox, sealed: string): Buffer {
  let key = keyCache.get(sealed);
  if (!key) {
    if (keyCache.size > 10_000) keyCache.clear();
    key = secretKey(box.open(sealed));
    keyCache.set(sealed, key);
  }
  return key;
}

const sensitiveHeader = /authorization|cookie|token|secret|key|password/i;

/** The request headers as logged: custom headers that look like credentials are masked. */
function loggedHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, sensitiveHeader.test(name) ? '[redacted]' : value]));
}

export function prepareRequest(d: ClaimedDelivery, deps: DispatchDeps, attemptId: string, now: Date) {
  const endpoint = d.endpoint!;
  const body = buildEnvelope({
    eventId: d.eventId,
    type: d.event.type,
    createdAt: d.event.createdAt,
    tenantId: d.tenantId,
    endpointId: d.endpointId,
    attemptId,
    accountId: d.event.accountId,
    payload: d.event.payload,
  });
  const keys = [signingKey(deps.box, endpoint.secretSealed)];
  if (endpoint.previousSecretSealed && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
    keys.push(signingKey(deps.box, endpoint.previousSecretSealed));
  }
  const timestamp = Math.floor(now.getTime() / 1000);
  const headers: Record<string, string> = {
    'user-agent': deps.userAgent,
    ...endpoint.headers,
    'content-type': 'application/json',
    'webhook-id': d.eventId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(d.eventId, timestamp, body, keys),
  };
  return { url: endpoint.url, headers, body };
}

/** Turns the HTTP result (or a reason not to send) into the delivery's next state. */
export function decide(d: ClaimedDelivery, deps: DispatchDeps, attempt: Completion['attempt'], result: Pick<SendResult, 'outcome' | 'statusCode' | 'responseHeaders'>): DispatchResult {
  const step = nextStep(deps.policy, {
    attemptNumber: attempt.attemptNumber,
    success: result.outcome === 'success',
    statusCode: result.statusCode,
    retryAfter: result.responseHeaders?.['retry-after'],
    now: attempt.createdAt,
  });
  const base = { deliveryId: d.id, tenantId: d.tenantId, endpointId: d.endpointId, attempt };
  switch (step.kind) {
    case 'succeeded':
      return { completion: { ...base, status: 'succeeded', nextAttemptAt: null, countsAsFailure: false } };
    case 'retry':
      return { completion: { ...base, status: 'pending', nextAttemptAt: step.at, countsAsFailure: false } };
    case 'failed':
      return {
        completion: { ...base, status: 'failed', nextAttemptAt: null, countsAsFailure: !step.throttled },
        ...(step.reason === 'gone' ? { disableReason: 'the endpoint answered 410 Gone' } : {}),
      };
  }
}

/** A delivery that cannot be sent (endpoint deleted or disabled) fails at once, without a request. */
function unsendable(d: ClaimedDelivery, reason: string, outcome: string): DispatchResult {
  const now = new Date();
  return {
    completion: {
      deliveryId: d.id,
      tenantId: d.tenantId,
      endpointId: d.endpointId,
      status: 'failed',
      nextAttemptAt: null,
      countsAsFailure: false,
      attempt: {
        id: newId(),
        attemptNumber: d.attemptCount + 1,
        url: d.endpoint?.url ?? '',
        requestHeaders: {},
        outcome,
        statusCode: null,
        responseHeaders: null,
        responseBody: null,
        responseTruncated: false,
        error: reason,
        durationMs: 0,
        createdAt: now,
      },
    },
  };
}

export async function attemptDelivery(d: ClaimedDelivery, deps: DispatchDeps, signal?: AbortSignal): Promise<DispatchResult> {
  if (!d.endpoint) return unsendable(d, 'the endpoint was deleted', 'endpoint_deleted');
  if (!d.endpoint.enabled) return unsendable(d, 'the endpoint is disabled', 'endpoint_disabled');
  const attemptId = newId();
  const now = new Date();
  const request = prepareRequest(d, deps, attemptId, now);
  const result = await deps.sender.send({ ...request, signal });
  const attempt: Completion['attempt'] = {
    id: attemptId,
    attemptNumber: d.attemptCount + 1,
    url: request.url,
    requestHeaders: loggedHeaders(request.headers),
    outcome: result.outcome,
    statusCode: result.statusCode,
    responseHeaders: result.responseHeaders,
    responseBody: result.responseBody,
    responseTruncated: result.responseBodyTruncated,
    error: result.error,
    durationMs: result.durationMs,
    createdAt: now,
  };
  return decide(d, deps, attempt, result);
}
