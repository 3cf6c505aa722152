// The rate limit's counters: a fixed window per key, whose every count is answered with a snapshot.
import { expect, it } from 'vitest';
import { RateLimitStore } from '../../src/api/rateLimitStore.ts';

type Result = { current: number; ttl: number };

function count(store: RateLimitStore, key: string, timeWindow = 1_000): Result {
  let result: Result | undefined;
  store.incr(key, (_error, r) => (result = r), timeWindow);
  return result!;
}

it('answers each count with a snapshot that later counts leave alone', () => {
  const store = new RateLimitStore();
  // The plugin reads an answer only after an await, by when the burst's later counts have been made.
  const answers = Array.from({ length: 6 }, () => count(store, 'key'));
  expect(answers.map((a) => a.current)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(answers.every((a) => a.ttl > 0 && a.ttl <= 1_000)).toBe(true);
});

it('counts each key apart, and starts a key again once its window has passed', async () => {
  const store = new RateLimitStore();
  expect(count(store, 'a', 50).current).toBe(1);
  expect(count(store, 'a', 50).current).toBe(2);
  expect(count(store, 'b', 50).current).toBe(1);
  let read: Result | undefined;
  store.read('a', (_error, r) => (read = r), 50);
  expect(read!.current).toBe(2);
  await new Promise((resolve) => setTimeout(resolve, 60));
  expect(count(store, 'a', 50).current).toBe(1);
  store.read('b', (_error, r) => (read = r), 50);
  expect(read).toEqual({ current: 0, ttl: 0 });
});
