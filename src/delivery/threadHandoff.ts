// Handoffs across threads. With HERALD_SPLIT_ROLES the API's thread publishes and the worker runs
// on a thread of its own (cli/start.ts). A publish reserves room in the worker's Room, which is
// shared memory, as a publish on the worker's thread would; writes the deliveries leased; and
// posts them to the worker's thread, which sends them without a claim. Messages on one port keep
// their order, so deliveries posted before a stop reach the worker before the stop does.
import type { DeliveryTaker } from '../services/publish.ts';
import type { ClaimedDelivery } from '../store/deliveries.ts';
import type { Room } from './room.ts';
import { handoffFrom, type DeliveryWorker } from './worker.ts';

/** What the API's thread posts to the worker's. */
export type WorkerThreadMessage = { handoff: ClaimedDelivery[] } | { poke: true } | { stop: true };

interface Port {
  postMessage(message: WorkerThreadMessage): void;
}

/** The taker for publishes on this thread when the worker, and its `room`, are behind `port`. */
export function remoteTaker(room: Room, port: Port): DeliveryTaker {
  return {
    offer: (endpointIds) =>
      handoffFrom(room, endpointIds, {
        deliver: (deliveries) => port.postMessage({ handoff: deliveries }),
        // Room given back during a backlog is worth a claim (the worker decides).
        cancelled: () => port.postMessage({ poke: true }),
      }),
  };
}

/** Passes a message from the API's thread to the worker; false for `stop`, which is the caller's. */
export function receiveOnWorkerThread(worker: DeliveryWorker, message: WorkerThreadMessage): boolean {
  if ('stop' in message) return false;
  if ('handoff' in message) worker.accept(message.handoff);
  else if (!worker.room.open) worker.poke();
  return true;
}
