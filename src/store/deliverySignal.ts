// "There are deliveries due": an in-process signal, carried between processes by PostgreSQL
// LISTEN/NOTIFY. Publishers wake() it; workers subscribe. NOTIFYs are throttled (at most one per
// window, plus a trailing one) because a burst of publishes needs only one wake-up. Workers also
// poll, so a lost notification delays work by at most the poll interval.
import type { Db } from './db.ts';

const channel = 'herald_deliveries';
const notifyWindowMs = 5;

export interface DeliverySignal {
  wake(): void;
  subscribe(listener: () => void): () => void;
  close(): Promise<void>;
}

export async function createDeliverySignal(db: Db): Promise<DeliverySignal> {
  const listeners = new Set<() => void>();
  const fire = () => listeners.forEach((listener) => listener());
  const crossProcess = db.driver === 'postgres';
  const unlisten = crossProcess ? await db.listen(channel, fire) : async () => {};

  let lastNotify = 0;
  let trailing: NodeJS.Timeout | undefined;
  const notify = () => {
    lastNotify = Date.now();
    db.query('select pg_notify($1, $2)', [channel, '']).catch(() => {}); // polling covers a failure
  };

  return {
    wake() {
      fire();
      if (!crossProcess || trailing) return;
      const wait = lastNotify + notifyWindowMs - Date.now();
      if (wait <= 0) notify();
      else trailing = setTimeout(() => {
        trailing = undefined;
        notify();
      }, wait);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      clearTimeout(trailing);
      listeners.clear();
      await unlisten();
    },
  };
}
