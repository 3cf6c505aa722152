// Group commit for publishing: while a write is in flight, the publishes that arrive wait and are
// then written together, in one read of their targets and one insert. Under load, batches grow by
// themselves and the database sees a few large statements instead of thousands of small ones. A
// failed write fails every publish of its batch, and none of them is acknowledged, so nothing
// acknowledged is lost.
//
// A write starts on the next turn of the event loop, not at once (a lone publish waits no longer
// than that): the publishes whose requests were read in the same turn join it. Started at once, a
// write would carry only the first publish of each turn. (When PGlite still ran on Herald's thread,
// every publish was then written alone.)
import type { Db } from '../store/db.ts';
import type { DeliverySignal } from '../store/deliverySignal.ts';
import { storeFannedOut, type DeliveryTaker, type PublishedEvent, type PublishRequest } from './publish.ts';

interface Waiting {
  request: PublishRequest;
  resolve(events: PublishedEvent[]): void;
  reject(error: unknown): void;
}

export class GroupCommit {
  private queue: Waiting[] = [];
  private writing = 0;
  private scheduled = false;
  /** The delivery worker of this process, if it runs one: it takes what it has room for. */
  private taker: DeliveryTaker | undefined;

  constructor(
    private readonly db: Db,
    private readonly signal: DeliverySignal,
    /**
     * Writes in flight at once. On PostgreSQL one: each write then carries twice the publishes, and
     * its read of the targets and its commit cost half as much per event (PostgreSQL's CPU per
     * publish at fan-out 1: 63–67 against 76–81 µs under `npm run bench`, 32–33 against 38–42 in a
     * publishing lab, for the same rate). PGlite's one connection runs one statement at a time, so
     * a second write keeps it busy while a batch returns (fan-out 1 at 0.18–0.19 against 0.17 R).
     */
    private readonly parallel = db.driver === 'pglite' ? 2 : 1,
    private readonly maxEvents = 2_000,
  ) {}

  handOffTo(taker: DeliveryTaker | undefined): void {
    this.taker = taker;
  }

  publish(request: PublishRequest): Promise<PublishedEvent[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.writing < this.parallel && this.queue.length > 0) {
      let events = 0;
      let take = 0;
      while (take < this.queue.length && (take === 0 || events + this.queue[take]!.request.inputs.length <= this.maxEvents)) {
        events += this.queue[take]!.request.inputs.length;
        take++;
      }
      const batch = this.queue.splice(0, take);
      this.writing++;
      storeFannedOut(this.db, batch.map((w) => w.request), this.taker)
        .then(
          ({ events, queued }) => {
            // Workers are woken only for what went to the queue, once per write.
            if (queued > 0) this.signal.wake();
            batch.forEach((w, i) => w.resolve(events[i]!));
          },
          (error) => batch.forEach((w) => w.reject(error)),
        )
        .finally(() => {
          this.writing--;
          this.schedule();
        });
    }
  }
}
