// Churn on a shared Room, for room.test.ts: reserve one delivery at a time, hold at most 20, give
// back the oldest; return what is held per endpoint. Run on the test's thread and, through this
// module's worker-thread entry, on another one at the same moment.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Room } from '../../src/delivery/room.ts';

export function churn(room: Room, endpoints: string[], rounds: number, step: number): Record<string, number> {
  const held: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const endpoint = endpoints[(i * step) % endpoints.length]!;
    room.open = true;
    if (room.reserve([endpoint])?.[0]) held.push(endpoint);
    if (held.length > 20) room.unreserve([held.shift()!], [true]);
  }
  const counts = Object.fromEntries(endpoints.map((e) => [e, 0]));
  for (const e of held) counts[e]!++;
  return counts;
}

if (!isMainThread && (workerData as { roomChurn?: boolean })?.roomChurn) {
  const { shared, go, endpoints, rounds } = workerData as { shared: SharedArrayBuffer; go: SharedArrayBuffer; endpoints: string[]; rounds: number };
  const start = new Int32Array(go);
  parentPort!.postMessage('ready');
  Atomics.wait(start, 0, 0);
  parentPort!.postMessage(churn(new Room(shared), endpoints, rounds, 3));
}
