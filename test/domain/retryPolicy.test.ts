import { describe, expect, it } from 'vitest';
import { defaultRetryPolicy, isThrottling, nextStep, parseRetryAfter, type RetryPolicy } from '../../src/domain/retryPolicy.ts';

const now = new Date('2026-01-01T00:00:00Z');
const middle = () => 0.5; // no jitter
const failure = (attemptNumber: number, statusCode: number | null = 500, retryAfter?: string) =>
  ({ attemptNumber, success: false, statusCode, retryAfter, now });
const delayOf = (step: ReturnType<typeof nextStep>) => (step.kind === 'retry' ? step.at.getTime() - now.getTime() : null);

describe('retry policy', () => {
  it('succeeds on success', () => {
    expect(nextStep(defaultRetryPolicy, { attemptNumber: 1, success: true, statusCode: 200, now })).toEqual({ kind: 'succeeded' });
  });

  it('follows the default schedule: 5 s, 30 s, 2 min, 5 min, 10 min, 20 min, 20 min, then gives up (≈ 1 hour)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => delayOf(nextStep(defaultRetryPolicy, failure(n), middle)));
    expect(delays).toEqual([5_000, 30_000, 120_000, 300_000, 600_000, 1_200_000, 1_200_000]);
    expect(nextStep(defaultRetryPolicy, failure(8), middle)).toEqual({ kind: 'failed', reason: 'exhausted', throttled: false });
    const total = delays.reduce((a, b) => a! + b!, 0)!;
    expect(total / 60_000).toBeCloseTo(57.6, 1);
  });

  it('jitters each delay by at most ±20 %', () => {
    expect(delayOf(nextStep(defaultRetryPolicy, failure(2), () => 0))).toBe(24_000);
    expect(delayOf(nextStep(defaultRetryPolicy, failure(2), () => 0.999999))).toBe(36_000);
    const seen = new Set(Array.from({ length: 50 }, () => delayOf(nextStep(defaultRetryPolicy, failure(2)))));
    expect(seen.size).toBeGreaterThan(1);
    for (const d of seen) expect(d).toBeGreaterThanOrEqual(24_000), expect(d).toBeLessThanOrEqual(36_000);
  });

  it('honours Retry-After in seconds or as an HTTP date, but never earlier than the schedule', () => {
    expect(delayOf(nextStep(defaultRetryPolicy, failure(1, 429, '120'), middle))).toBe(120_000);
    expect(delayOf(nextStep(defaultRetryPolicy, failure(1, 503, 'Thu, 01 Jan 2026 00:03:00 GMT'), middle))).toBe(180_000);
    expect(delayOf(nextStep(defaultRetryPolicy, failure(3, 429, '1'), middle))).toBe(120_000); // schedule is later
    expect(delayOf(nextStep(defaultRetryPolicy, failure(1, 429, 'soon'), middle))).toBe(5_000); // unparseable: ignored
  });

  it('clamps Retry-After', () => {
    expect(delayOf(nextStep(defaultRetryPolicy, failure(1, 429, '999999'), middle))).toBe(defaultRetryPolicy.maxRetryAfterMs);
  });

  it('stops at once on 410 Gone', () => {
    expect(nextStep(defaultRetryPolicy, failure(1, 410), middle)).toEqual({ kind: 'failed', reason: 'gone', throttled: false });
  });

  it('marks 429, 502, 503 and 504 as throttling', () => {
    for (const status of [429, 502, 503, 504]) expect(isThrottling(status)).toBe(true);
    for (const status of [500, 404, 410, null]) expect(isThrottling(status)).toBe(false);
    expect(nextStep(defaultRetryPolicy, failure(8, 503), middle)).toEqual({ kind: 'failed', reason: 'exhausted', throttled: true });
  });

  it('retries network failures (no status) like any other failure', () => {
    expect(delayOf(nextStep(defaultRetryPolicy, failure(1, null), middle))).toBe(5_000);
  });

  it('follows a configured schedule', () => {
    const short: RetryPolicy = { scheduleMs: [0, 100, 200], jitter: 0, maxRetryAfterMs: 1000 };
    expect(delayOf(nextStep(short, failure(1)))).toBe(100);
    expect(delayOf(nextStep(short, failure(2)))).toBe(200);
    expect(nextStep(short, failure(3)).kind).toBe('failed');
  });

  it('parses Retry-After', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 30 ', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0); // in the past
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
  });
});
