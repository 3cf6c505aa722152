// Idempotency keys (as Stripe and the IETF Idempotency-Key draft describe them): the same key
// with the same request returns the first answer again; with another request it is refused
// (422); while the first is still running, a second gets 409. Keys are scoped per tenant and kept
// 24 hours. The answer is saved in the same transaction as the work, so a crash cannot leave work
// done without its answer (which would let a retry do it twice).
import { createHash } from 'node:crypto';
import { HeraldError, malformed } from '../domain/errors.ts';
import type { Queryable } from '../store/db.ts';
import * as store from '../store/idempotency.ts';
import type { Context } from './context.ts';

const ttlMs = 24 * 3_600_000;
/** A request holding a key longer than this is presumed dead and its key may be reused. */
const lockMs = 60_000;

export interface IdempotentAnswer<T> {
  status: number;
  body: T;
  /** True when this is the saved answer of an earlier request. */
  replayed: boolean;
}

export function requestFingerprint(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

export function checkIdempotencyKey(key: string): void {
  if (key.length === 0 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
    throw malformed('the idempotency key must be 1 to 255 visible ASCII characters');
  }
}

/**
 * Runs `work` once per key. `work` gets the transaction its writes must use; its answer is saved
 * in that transaction. Without a key no transaction is opened (saving round trips on the hot
 * path): `work` must then be atomic by itself, e.g. a single statement.
 */
export async function idempotent<T>(
  ctx: Context,
  key: { tenantId: string; scope: string; key: string | undefined; fingerprint: string },
  work: (tx: Queryable) => Promise<{ status: number; body: T }>,
): Promise<IdempotentAnswer<T>> {
  if (key.key === undefined) return { ...(await work(ctx.db)), replayed: false };
  checkIdempotencyKey(key.key);
  const k = { tenantId: key.tenantId, scope: key.scope, key: key.key };
  if (!(await store.claimIdempotencyKey(ctx.db, k, key.fingerprint, lockMs, ttlMs))) {
    const existing = await store.getIdempotencyRecord(ctx.db, k);
    const expired = !existing || existing.expiresAt.getTime() <= Date.now();
    if (existing && !expired) {
      if (existing.requestHash !== key.fingerprint) {
        throw new HeraldError('idempotency_mismatch', `the idempotency key ${JSON.stringify(key.key)} was already used with a different request`);
      }
      if (existing.responseStatus !== null) return { status: existing.responseStatus, body: existing.responseBody as T, replayed: true };
    }
    const abandoned = existing && (expired || (existing.lockedUntil !== null && existing.lockedUntil.getTime() <= Date.now()));
    if (!existing || !abandoned || !(await store.takeOverIdempotencyKey(ctx.db, k, key.fingerprint, lockMs, ttlMs))) {
      if (!existing) return idempotent(ctx, key, work); // deleted meanwhile: start over
      throw new HeraldError('idempotency_in_flight', `a request with the idempotency key ${JSON.stringify(key.key)} is still being processed`);
    }
  }
  try {
    const answer = await ctx.db.transaction(async (tx) => {
      const result = await work(tx);
      await store.saveIdempotentResponse(tx, k, result.status, result.body);
      return result;
    });
    return { ...answer, replayed: false };
  } catch (error) {
    // Nothing was done: free the key so a corrected request can use it.
    await store.releaseIdempotencyKey(ctx.db, k).catch(() => {});
    throw error;
  }
}
