// Per-key rate limiting (HERALD_RATE_LIMIT requests per second), shared by every surface: each
// surface registers the plugin, and all of them count in the one store of their Herald. It runs
// after authentication, so each key — and the operator token — has its own budget, and answers
// 429 with Retry-After and the RateLimit-* headers of the IETF draft.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { HeraldError } from '../domain/errors.ts';
import type { Context } from '../services/context.ts';
import { RateLimitStore } from './rateLimitStore.ts';

const stores = new WeakMap<Context, RateLimitStore>();

export async function registerRateLimit(scope: FastifyInstance, ctx: Context): Promise<void> {
  if (ctx.config.rateLimitPerSecond === 0) return;
  let shared = stores.get(ctx);
  if (!shared) stores.set(ctx, (shared = new RateLimitStore()));
  const store = shared;
  await scope.register(rateLimit, {
    hook: 'preHandler',
    max: ctx.config.rateLimitPerSecond,
    timeWindow: 1000,
    // The plugin constructs its store: this constructor gives it the shared one.
    store: class {
      constructor() {
        return store;
      }
    } as unknown as typeof RateLimitStore,
    enableDraftSpec: true,
    keyGenerator: (request) => (request.actor.kind === 'key' ? request.actor.keyId : 'operator'),
    errorResponseBuilder: (_request, context) =>
      new HeraldError('rate_limited', `rate limit of ${context.max} requests per second exceeded: retry in ${context.after}`),
  });
}
