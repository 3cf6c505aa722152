// The counters behind per-key rate limiting: a fixed window per key, in this process.
//
// Not @fastify/rate-limit's own LocalStore: it answers every count of a key with the same object,
// which the next count changes, and the plugin reads that answer only after an await. Requests of
// one key counted in the same turn of the event loop (a burst whose database lookups all return
// together) then all read the last count, and every one of them was refused, the first five too.
// Here each count gets a snapshot of its own.

interface Window {
  count: number;
  startedAt: number;
}

type Answer = (error: Error | null, result: { current: number; ttl: number }) => void;

/** Windows kept before the expired ones are swept out (keys are API keys: few, but unbounded). */
const sweepAbove = 10_000;

export class RateLimitStore {
  private readonly windows = new Map<string, Window>();

  incr(key: string, answer: Answer, timeWindow: number): void {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.startedAt + timeWindow <= now) {
      if (!window && this.windows.size >= sweepAbove) this.sweep(now, timeWindow);
      window = { count: 0, startedAt: now };
      this.windows.set(key, window);
    }
    window.count++;
    answer(null, { current: window.count, ttl: window.startedAt + timeWindow - now });
  }

  /** The count so far, without counting (the plugin's `increment: false`). */
  read(key: string, answer: Answer, timeWindow: number): void {
    const now = Date.now();
    const window = this.windows.get(key);
    if (!window || window.startedAt + timeWindow <= now) answer(null, { current: 0, ttl: 0 });
    else answer(null, { current: window.count, ttl: window.startedAt + timeWindow - now });
  }

  /** A route with limits of its own counts apart. */
  child(): RateLimitStore {
    return new RateLimitStore();
  }

  private sweep(now: number, timeWindow: number): void {
    for (const [key, window] of this.windows) if (window.startedAt + timeWindow <= now) this.windows.delete(key);
  }
}
