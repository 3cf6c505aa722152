// The delivery worker: claim due deliveries → send each (at most `concurrency` at once, at most
// `endpointConcurrency` per endpoint) → record results in batches → sleep until woken (a publish
// in this process, a NOTIFY from another, a freed slot) or until the poll interval passes.
// During a backlog a claim also takes a few deliveries more than there are free slots: they wait,
// claimed, for the next slot to free up (see `ready`), so that no slot waits for a claim.
// Fresh deliveries published while the worker has room skip the claim: they are handed over (see
// offer()), from this thread or from the API's (threadHandoff.ts), through the worker's Room.
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { DeliverySignal } from '../store/deliverySignal.ts';
import type { Db } from '../store/db.ts';
import { claimDueDeliveries } from '../store/claim.ts';
import { refusedForItsData } from '../store/errors.ts';
import { disableEndpoint, recordAttempts, releaseDeliveries, type ClaimedDelivery, type Completion } from '../store/deliveries.ts';
import { attemptDelivery, type DispatchDeps } from './dispatch.ts';
import { Room } from './room.ts';

export interface WorkerOptions {
  concurrency: number;
  endpointConcurrency: number;
  claimBatchSize: number;
  leaseMs: number;
  pollIntervalMs: number;
}

/** What the worker tells the rest of Herald about (operational events). Called without waiting. */
export interface WorkerHooks {
  /** A delivery failed its last attempt. */
  onExhausted?(delivery: ClaimedDelivery, completion: Completion): void;
  /** The worker disabled an endpoint (it answered 410 Gone). */
  onEndpointDisabled?(endpointId: string, reason: string): void;
}

/**
 * Deliveries a worker took from a publish: they are written leased to it, then either delivered
 * (the write committed) or cancelled (it failed).
 */
export interface Handoff {
  /** Per offered delivery, whether the worker took it. */
  taken: boolean[];
  leaseMs: number;
  deliver(deliveries: ClaimedDelivery[]): void;
  cancel(): void;
}

/**
 * Reserves in `room` what it can of a publish's deliveries (their endpoints, in order). `to` is
 * the worker: `deliver` passes it the written deliveries, which keep the room reserved for them
 * until each finishes; `cancelled` follows a failed write, whose reservations are given back.
 */
export function handoffFrom(
  room: Room,
  endpointIds: readonly string[],
  to: { deliver(deliveries: ClaimedDelivery[]): void; cancelled(): void },
): Handoff | undefined {
  const taken = room.reserve(endpointIds);
  if (!taken?.some(Boolean)) return undefined;
  let settled = false;
  const settle = () => !settled && (settled = true);
  return {
    taken,
    leaseMs: room.leaseMs,
    deliver: (deliveries) => settle() && to.deliver(deliveries),
    cancel: () => {
      if (!settle()) return;
      room.unreserve(endpointIds, taken);
      to.cancelled();
    },
  };
}

/** A delivery claimed ahead of a free slot, and when (performance.now()). */
interface Ready {
  delivery: ClaimedDelivery;
  claimedAt: number;
}

/** Results are written when this many are waiting, or after flushDelayMs, whichever comes first. */
const flushSize = 200;
const flushDelayMs = 5;

export class DeliveryWorker {
  private running = false;
  private stopping = false;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly active = new Map<string, Promise<void>>();
  /** Aborted when stopping cuts the deliveries still in flight short; one for all of them. */
  private halt = new AbortController();
  /**
   * Deliveries held per endpoint, in flight or ready, exactly (the room's counts are per bucket):
   * what claims count, so an endpoint's ready deliveries take places within its cap.
   */
  private readonly inFlight = new Map<string, number>();
  /**
   * Claimed deliveries waiting for a slot, oldest first. While a claim runs (some milliseconds when
   * the database is busy), deliveries finishing free slots that would otherwise wait for it; under
   * `npm run bench` (fan-out 10) the worker had only 55 of its 128 slots busy on average, one claim
   * after another; with ready ones filling them at once, 85.
   */
  private readonly ready: Ready[] = [];
  /** How many deliveries may wait ready: half of what the worker sends at once, or claims at once if fewer. */
  private readonly readyLimit: number;
  /** Endpoints the last claim left at their cap: deliveries of theirs may wait in the queue. */
  private readonly capped = new Set<string>();
  /** Where the claims' round of the endpoints goes on from (see claimDueDeliveries). */
  private endpointCursor: string | null = null;
  private completions: Completion[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly db: Db,
    private readonly signal: DeliverySignal,
    private readonly deps: DispatchDeps,
    private readonly options: WorkerOptions,
    private readonly log: Logger,
    private readonly hooks: WorkerHooks = {},
    /** Shared with takers on other threads (threadHandoff.ts); its own otherwise. */
    readonly room: Room = Room.create(options),
  ) {
    this.readyLimit = Math.ceil(Math.min(options.concurrency, options.claimBatchSize) / 2);
  }

  /** The last claim came back full, or a handoff left deliveries in the queue: older work waits. */
  private get backlogged(): boolean {
    return !this.room.open;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.room.open = true;
    this.halt = new AbortController();
    setMaxListeners(0, this.halt.signal); // one listener per delivery in flight
    this.unsubscribe = this.signal.subscribe(() => this.poke());
    this.loopDone = this.loop();
  }

  /** Deliveries being sent right now (for tests and metrics). */
  get activeCount(): number {
    return this.active.size;
  }

  /** Wakes the loop up to claim (room freed during a backlog, on another thread). */
  poke(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    // While a backlog lasts (the last claim came back full), wait for part of the slots to free up
    // before claiming again: a few large claims cost far less than one per freed slot. On PGlite,
    // whose one connection runs one statement at a time (claims queue behind attempt records), the
    // part is half (fan-out 10 with PGlite on its own thread: 2,431–3,039/s, against 2,170–2,329
    // with quarters). On PostgreSQL a quarter, as larger claims leave more slots idle while they
    // run. When the queue is drained, claim on every wake-up.
    const part = this.db.driver === 'pglite' ? 2 : 4;
    const minBacklogClaim = Math.max(1, Math.floor(Math.min(this.options.concurrency, this.options.claimBatchSize) / part));
    while (this.running) {
      // Reset before anything awaits: a wake-up that arrives later must not be lost, and one that
      // arrived earlier must not keep a full worker spinning without ever yielding.
      this.woken = false;
      const free = Math.min(this.room.free, this.options.claimBatchSize);
      // Ready ones are claimed only during a backlog: with the queue drained, deliveries come by
      // offer() and there is nothing to claim ahead of them.
      const ahead = this.backlogged ? Math.max(0, Math.min(this.options.claimBatchSize - free, this.readyLimit - this.ready.length)) : 0;
      let claimed: ClaimedDelivery[] = [];
      let moreDue = false;
      const worthIt = free + ahead > 0 && (!this.backlogged || free + ahead >= minBacklogClaim);
      // The slots this claim may fill are taken from the room: publishes cannot reserve them meanwhile.
      const slots = worthIt ? this.room.take(free) : 0;
      const asked = worthIt ? slots + ahead : 0;
      if (asked > 0) {
        const refusals = this.room.refusals;
        // What the claim counts as in flight: deliveries that finish meanwhile are not seen by it,
        // nor are handoffs whose write has not returned (a handoff during the claim can pass an
        // endpoint's cap by what one claim adds).
        const counted = new Map(this.inFlight);
        try {
          ({ claimed, moreDue, endpointCursor: this.endpointCursor } = await claimDueDeliveries(this.db, {
            limit: asked,
            roundBelow: slots,
            leaseMs: this.options.leaseMs,
            endpointCap: this.options.endpointConcurrency,
            inFlight: counted,
            scanLimit: asked * 4,
            endpointCursor: this.endpointCursor,
          }));
          failures = 0;
        } catch (error) {
          this.room.give(slots);
          failures++;
          this.log.error({ err: error }, 'could not claim deliveries');
          await this.sleep(Math.min(100 * 2 ** failures, 5_000));
          continue;
        }
        this.room.give(Math.max(0, slots - claimed.length));
        if (!this.running) {
          this.room.give(Math.min(slots, claimed.length));
          await releaseDeliveries(this.db, claimed.map((d) => d.id)).catch(() => {});
          break;
        }
        const claimedAt = performance.now();
        claimed.forEach((delivery, i) => {
          this.hold(delivery.endpointId);
          this.room.enter(delivery.endpointId);
          if (i < slots) this.dispatch(delivery);
          else this.ready.push({ delivery, claimedAt });
          counted.set(delivery.endpointId, (counted.get(delivery.endpointId) ?? 0) + 1);
        });
        this.sendReady();
        // Endpoints the claim found at their cap, or filled up to it, may have more waiting.
        this.capped.clear();
        for (const [endpointId, n] of counted) if (n >= this.options.endpointConcurrency) this.capped.add(endpointId);
        // Deliveries queued by an offer during the claim may have been written after it looked;
        // fresh deliveries must not overtake ready ones; and a claim only ahead of free slots did
        // not go round the endpoints, so finding nothing does not mean nothing waits.
        if (moreDue || this.ready.length > 0 || slots === 0) this.room.open = false;
        else this.room.reopen(refusals);
      } else {
        // Woken with too little room to claim: deliveries may be due that a later claim will find.
        this.room.open = false;
      }
      // More is probably due: claim again at once while there is room.
      if (moreDue && (this.room.free > 0 || this.ready.length < this.readyLimit)) continue;
      if (!this.woken) await this.sleep(this.options.pollIntervalMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }

  /**
   * Offers the deliveries a publish in this process is about to write (their endpoints, in
   * order). The worker takes as many as it has room for, within each endpoint's cap; they are
   * written leased to it and sent as soon as the write returns, without a claim: on an idle or
   * keeping-up worker that is one statement less per publish, and one round trip less before the
   * first attempt. Nothing is taken while older deliveries wait in the queue, so fresh ones never
   * overtake them; what is not taken is queued as usual.
   */
  offer(endpointIds: readonly string[]): Handoff | undefined {
    return handoffFrom(this.room, endpointIds, {
      deliver: (deliveries) => this.accept(deliveries),
      // As for a finished delivery: the freed room is worth a claim only during a backlog.
      cancelled: () => this.backlogged && this.poke(),
    });
  }

  /** Sends deliveries handed over by a publish (see handoffFrom); the room is reserved for them. */
  accept(deliveries: ClaimedDelivery[]): void {
    if (this.running) {
      for (const delivery of deliveries) {
        this.hold(delivery.endpointId);
        this.dispatch(delivery);
      }
      return;
    }
    // Stopped while the write ran: give them back at once rather than let the lease run out.
    for (const delivery of deliveries) this.room.leave(delivery.endpointId);
    this.room.give(deliveries.length);
    void releaseDeliveries(this.db, deliveries.map((d) => d.id)).catch(() => {});
  }

  /** The worker holds one more delivery of the endpoint (in flight or ready). */
  private hold(endpointId: string): void {
    this.inFlight.set(endpointId, (this.inFlight.get(endpointId) ?? 0) + 1);
  }

  /** A held delivery of the endpoint is no longer held; its place in the room is given back. */
  private drop(endpointId: string): void {
    const left = (this.inFlight.get(endpointId) ?? 1) - 1;
    if (left === 0) this.inFlight.delete(endpointId);
    else this.inFlight.set(endpointId, left);
    this.room.leave(endpointId);
  }

  /** As drop(), and the delivery's slot is free again. */
  private leave(endpointId: string): void {
    this.drop(endpointId);
    this.room.give(1);
  }

  /**
   * Sends ready deliveries while slots are free. One ready for half its lease is given back
   * instead (receivers slower than the lease allows for): sent later, its lease could run out
   * during the attempt and another worker send it too.
   */
  private sendReady(): void {
    const stale: string[] = [];
    while (this.running && this.ready.length > 0 && this.room.take(1) === 1) {
      const { delivery, claimedAt } = this.ready.shift()!;
      if (performance.now() - claimedAt < this.options.leaseMs / 2) {
        this.dispatch(delivery);
        continue;
      }
      this.leave(delivery.endpointId);
      stale.push(delivery.id);
    }
    if (stale.length > 0) void releaseDeliveries(this.db, stale).catch(() => {});
  }

  /** Sends a delivery the worker holds, whose slot and place in the room are already taken (by a claim or a handoff). */
  private dispatch(delivery: ClaimedDelivery): void {
    const halt = this.halt.signal;
    const endpointId = delivery.endpointId;
    const done = (async () => {
      try {
        const result = await attemptDelivery(delivery, this.deps, halt);
        if (halt.aborted) {
          // Stopping: this attempt was cut short by us, not by the receiver. Give it back.
          await releaseDeliveries(this.db, [delivery.id]).catch(() => {});
          return;
        }
        if (result.disableReason) {
          const disabled = await disableEndpoint(this.db, endpointId, result.disableReason).catch((error) => {
            this.log.error({ err: error, endpointId }, 'could not disable endpoint');
            return false;
          });
          if (disabled) this.hooks.onEndpointDisabled?.(endpointId, result.disableReason);
        }
        this.complete(result.completion);
        const { status, attempt } = result.completion;
        if (status === 'failed' && attempt.outcome !== 'endpoint_deleted' && attempt.outcome !== 'endpoint_disabled') {
          this.hooks.onExhausted?.(delivery, result.completion);
        }
      } catch (error) {
        // Not a receiver failure (those are results): a bug or a database error. The lease
        // makes the delivery due again later.
        this.log.error({ err: error, deliveryId: delivery.id }, 'delivery attempt failed unexpectedly');
      } finally {
        this.leave(endpointId);
        this.active.delete(delivery.id);
        this.sendReady();
        // A freed slot is worth a claim only if deliveries may be waiting in the queue: a backlog,
        // or an endpoint the last claim left at its cap. Otherwise new deliveries arrive by
        // offer() or with a wake-up.
        if (this.backlogged || this.capped.has(endpointId)) this.poke();
      }
    })();
    this.active.set(delivery.id, done);
  }

  private complete(completion: Completion): void {
    this.completions.push(completion);
    if (this.completions.length >= flushSize) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), flushDelayMs);
  }

  /** Writes waiting results, one batch at a time; a write that failed (the database away) is retried. */
  private flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushing = this.flushing.then(async () => {
      while (this.completions.length > 0) {
        const { unwritten, error } = await this.record(this.completions.splice(0, flushSize));
        if (unwritten.length === 0) continue;
        this.log.error({ err: error, count: unwritten.length }, 'could not record attempts; retrying');
        this.completions.unshift(...unwritten);
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (this.stopping && !this.running) return;
      }
    });
    return this.flushing;
  }

  /**
   * Writes a batch of results, and returns those it could not write for a reason that may pass
   * (with the error). A batch the database refuses for its data is halved until each refused
   * result is alone, so that one result cannot hold up the others; that result is written again
   * without what the receiver sent, and if even that is refused, it is logged and dropped: its
   * delivery is sent again once its lease runs out.
   */
  private async record(batch: Completion[]): Promise<{ unwritten: Completion[]; error?: unknown }> {
    const pieces = [batch];
    for (let piece = pieces.shift(); piece; piece = pieces.shift()) {
      try {
        await recordAttempts(this.db, piece);
      } catch (error) {
        if (!refusedForItsData(error)) return { unwritten: [piece, ...pieces].flat(), error };
        const [refused] = piece;
        const half = Math.ceil(piece.length / 2);
        if (piece.length > 1) pieces.unshift(piece.slice(0, half), piece.slice(half));
        else if (refused!.attempt.responseBody !== null || refused!.attempt.responseHeaders !== null) pieces.unshift([withoutResponse(refused!, error)]);
        else this.log.error({ err: error, deliveryId: refused!.deliveryId }, 'the database refused the result of an attempt; its delivery is sent again after its lease');
      }
    }
    return { unwritten: [] };
  }

  /**
   * Stops claiming, lets in-flight deliveries finish until `deadlineMs`, then aborts the rest and
   * releases them so another worker takes them at once. Returns when nothing is held any more.
   */
  async stop(deadlineMs: number): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.room.open = false;
    this.stopping = true;
    this.unsubscribe?.();
    this.wakeUp?.();
    await this.loopDone;
    // Ready deliveries are given back at once, for another worker.
    const ready = this.ready.splice(0).map(({ delivery }) => delivery);
    for (const delivery of ready) this.drop(delivery.endpointId);
    await releaseDeliveries(this.db, ready.map((d) => d.id)).catch(() => {});
    const all = () => Promise.all(this.active.values());
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([all(), deadline]);
    clearTimeout(timer);
    this.halt.abort();
    await all();
    await this.flush();
  }
}

/** The result without the response the database refused to store, and why it is missing. */
function withoutResponse(completion: Completion, error: unknown): Completion {
  const reason = `the response could not be stored: ${(error as Error).message}`;
  return { ...completion, attempt: { ...completion.attempt, responseHeaders: null, responseBody: null, error: reason } };
}
