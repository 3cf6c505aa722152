// The worker's Room: the slots and per-endpoint places that publishes reserve, from the worker's
// thread or another one, without passing the worker's concurrency or an endpoint's cap.
import path from 'node:path';
import { on } from 'node:events';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Room } from '../../src/delivery/room.ts';
import { churn } from '../support/roomReserver.ts';

const limits = { concurrency: 4, endpointConcurrency: 2, leaseMs: 60_000 };
function openRoom(l = limits): Room {
  const room = Room.create(l);
  room.open = true;
  return room;
}

describe('worker room', () => {
  it('takes nothing until the worker opens it', () => {
    const room = Room.create(limits);
    expect(room.reserve(['a'])).toBeUndefined();
    expect(room.free).toBe(4);
  });

  it('reserves in order within the free slots and each endpoint cap, and closes on a refusal', () => {
    const room = openRoom();
    expect(room.reserve(['a', 'b', 'a', 'a', 'c', 'd'])).toEqual([true, true, true, false, true, false]);
    expect(room.free).toBe(0);
    expect(room.open).toBe(false);
    expect(room.refusals).toBe(1);
  });

  it('gives back what a failed write had reserved', () => {
    const room = openRoom();
    const endpoints = ['a', 'a', 'b'];
    const taken = room.reserve(endpoints)!;
    room.unreserve(endpoints, taken);
    expect(room.free).toBe(4);
    expect(room.reserve(['a', 'a'])).toEqual([true, true]);
  });

  it('stays closed when reopened after a refusal it had not seen', () => {
    const room = openRoom({ ...limits, concurrency: 1 });
    const seen = room.refusals;
    room.reserve(['a', 'b']); // one refused
    room.reopen(seen);
    expect(room.open).toBe(false);
    room.reopen(room.refusals);
    expect(room.open).toBe(true);
  });

  it('never passes an endpoint cap or the free slots, and loses no count, while two threads reserve at once', { timeout: 30_000 }, async () => {
    // Each thread holds up to 20 of 4 endpoints' 40 places: the caps are contended, and the free
    // slots (1,000) change on every reservation.
    const endpoints = ['e1', 'e2', 'e3', 'e4'];
    const room = openRoom({ concurrency: 1_000, endpointConcurrency: 10, leaseMs: 60_000 });
    const go = new Int32Array(new SharedArrayBuffer(4));
    const rounds = 200_000;
    // A thread of its own, running TypeScript through tsx as Herald's tests do.
    const script = pathToFileURL(path.join(import.meta.dirname, '../support/roomReserver.ts')).href;
    const other = new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(script)}); })`, {
      eval: true,
      workerData: { roomChurn: true, shared: room.shared, go: go.buffer, endpoints, rounds },
    });
    const messages = on(other, 'message');
    await messages.next(); // ready
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const here = churn(room, endpoints, rounds, 7);
    const there = (await messages.next()).value[0] as Record<string, number>;
    await other.terminate();

    const held = endpoints.map((e) => here[e]! + there[e]!);
    for (const n of held) expect(n).toBeLessThanOrEqual(10);
    const total = held.reduce((a, b) => a + b, 0);
    expect(Object.values(there).some((n) => n > 0) && Object.values(here).some((n) => n > 0)).toBe(true);
    expect(room.free).toBe(1_000 - total);
    // Everything given back: every slot is free and every endpoint has its whole cap again.
    endpoints.forEach((e, i) => room.unreserve(Array(held[i]).fill(e), Array(held[i]).fill(true)));
    expect(room.free).toBe(1_000);
    for (const e of endpoints) {
      room.open = true;
      const all = Array<string>(11).fill(e);
      const taken = room.reserve(all)!;
      expect(taken.filter(Boolean)).toHaveLength(10);
      room.unreserve(all, taken);
    }
  });
});
