// What happens after an attempt: one pure function from the attempt's result to the next step.
//
// The schedule lists the delay before each attempt: the default `0, 5s, 30s, 2m, 5m, 10m, 20m,
// 20m` makes 8 attempts over about an hour (flexEngage guide: "retried up to 1 hour"). Each delay
// gets ±20 % jitter so failed deliveries do not return in lockstep. A `Retry-After` header
// (RFC 9110 §10.2.3: seconds or an HTTP date) postpones the retry to at least that time, clamped
// so a receiver cannot park a delivery forever. `410 Gone` means the endpoint is gone for good:
// stop and disable it. 429, 502, 503 and 504 are throttling — the receiver is alive but
// overloaded — so they are retried without counting toward auto-disable.

export interface RetryPolicy {
  /** Delay before attempt n+1 is schedule[n]; schedule[0] is the first attempt's (normally 0). */
  scheduleMs: readonly number[];
  jitter: number;
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  scheduleMs: [0, 5_000, 30_000, 120_000, 300_000, 600_000, 1_200_000, 1_200_000],
  jitter: 0.2,
  maxRetryAfterMs: 600_000,
};

export interface AttemptResult {
  /** 1 for the first attempt. */
  attemptNumber: number;
  success: boolean;
  statusCode: number | null;
  /** The Retry-After response header, if any. */
  retryAfter?: string | null;
  now: Date;
}

export type NextStep =
  | { kind: 'succeeded' }
  | { kind: 'retry'; at: Date; throttled: boolean }
  | { kind: 'failed'; reason: 'exhausted' | 'gone'; throttled: boolean };

const throttlingStatuses = new Set([429, 502, 503, 504]);

export function isThrottling(statusCode: number | null): boolean {
  return statusCode !== null && throttlingStatuses.has(statusCode);
}

/** Parses Retry-After into milliseconds from `now`; null when absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/^[A-Za-z]{3}, /.test(trimmed)) return null; // an IMF-fixdate starts with the day name
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

export function nextStep(policy: RetryPolicy, result: AttemptResult, random: () => number = Math.random): NextStep {
  if (result.success) return { kind: 'succeeded' };
  const throttled = isThrottling(result.statusCode);
  if (result.statusCode === 410) return { kind: 'failed', reason: 'gone', throttled };
  const base = policy.scheduleMs[result.attemptNumber];
  if (base === undefined) return { kind: 'failed', reason: 'exhausted', throttled };
  let delay = base * (1 + (random() * 2 - 1) * policy.jitter);
  const retryAfter = parseRetryAfter(result.retryAfter, result.now);
  if (retryAfter !== null) delay = Math.max(delay, Math.min(retryAfter, policy.maxRetryAfterMs));
  return { kind: 'retry', at: new Date(result.now.getTime() + Math.round(delay)), throttled };
}
