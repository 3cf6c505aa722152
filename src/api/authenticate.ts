// Authentication for every surface: `Authorization: Bearer <key>` or `X-API-KEY: <key>`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HeraldError } from '../domain/errors.ts';
import type { Actor } from '../domain/types.ts';
import { authenticate } from '../services/auth.ts';
import type { Context } from '../services/context.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
  }
}

export function credentialOf(request: FastifyRequest): string | null {
  const authorization = request.headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1]! : null;
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.trim() ? apiKey.trim() : null;
}

/** Adds an onRequest hook to `scope` that sets request.actor or answers 401. */
export function requireAuthentication(scope: FastifyInstance, ctx: Context): void {
  scope.addHook('onRequest', async (request) => {
    const token = credentialOf(request);
    if (!token) {
      throw new HeraldError('unauthenticated', 'send an API key as "Authorization: Bearer <key>" or "X-API-KEY: <key>"');
    }
    const actor = await authenticate(ctx, token);
    if (!actor) throw new HeraldError('unauthenticated', 'the API key is not valid or has been revoked');
    request.actor = actor;
  });
}

/**
 * The tenant a request acts for on surfaces whose paths carry no tenant (their documents assume
 * the key identifies the merchant): the key's own tenant. The operator names one with the
 * `X-Herald-Tenant` header.
 */
export function tenantOf(request: FastifyRequest): string {
  if (request.actor.kind === 'key') return request.actor.tenantId;
  const tenant = request.headers['x-herald-tenant'];
  if (typeof tenant === 'string' && tenant.trim()) return tenant.trim();
  throw new HeraldError('malformed_request', 'the operator token must name the tenant to act for in the X-Herald-Tenant header');
}
