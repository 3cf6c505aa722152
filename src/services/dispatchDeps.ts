import type { DispatchDeps } from '../delivery/dispatch.ts';
import type { Context } from './context.ts';

/** What sending a delivery needs, taken from the context and its configuration. */
export function dispatchDeps(ctx: Context): DispatchDeps {
  const c = ctx.config;
  return {
    box: ctx.box,
    sender: ctx.sender,
    userAgent: c.userAgent,
    policy: { scheduleMs: c.retryScheduleMs, jitter: 0.2, maxRetryAfterMs: c.maxRetryAfterMs },
  };
}
