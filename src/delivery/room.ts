// A delivery worker's room: its free slots, whether it takes fresh deliveries from publishes, and
// its deliveries in flight per endpoint. It lives in shared memory so that a publish on another
// thread (the API's, with HERALD_SPLIT_ROLES) reserves room in the worker without a round trip to
// the worker's thread, exactly as a publish on the worker's own thread does.
//
// In-flight counts are kept per bucket of endpoints (a hash of the id), not per endpoint: memory
// is fixed, and endpoints that share a bucket share its cap. That can only make an offer refuse a
// delivery, which then goes to the queue and is claimed (claims count exactly); it never lets an
// offer pass an endpoint's cap.

const FREE = 0;
const OPEN = 1;
const REFUSALS = 2;
const CAP = 3;
const LEASE_MS = 4;
const BUCKETS = 5;
const bucketCount = 4096;

export interface RoomLimits {
  concurrency: number;
  endpointConcurrency: number;
  leaseMs: number;
}

export class Room {
  private readonly cells: Int32Array;

  /** A new room with every slot free, closed to offers until the worker opens it. */
  static create(limits: RoomLimits): Room {
    const room = new Room(new SharedArrayBuffer((BUCKETS + bucketCount) * 4));
    Atomics.store(room.cells, FREE, limits.concurrency);
    Atomics.store(room.cells, CAP, limits.endpointConcurrency);
    Atomics.store(room.cells, LEASE_MS, limits.leaseMs);
    return room;
  }

  /** `shared` is another room's `shared`, possibly from another thread. */
  constructor(readonly shared: SharedArrayBuffer) {
    this.cells = new Int32Array(shared);
  }

  get free(): number {
    return Atomics.load(this.cells, FREE);
  }

  get leaseMs(): number {
    return Atomics.load(this.cells, LEASE_MS);
  }

  /** Takes up to `n` free slots; returns how many it got. */
  take(n: number): number {
    for (;;) {
      const free = Atomics.load(this.cells, FREE);
      const got = Math.min(n, free);
      if (got <= 0) return 0;
      if (Atomics.compareExchange(this.cells, FREE, free, free - got) === free) return got;
    }
  }

  give(n: number): void {
    if (n > 0) Atomics.add(this.cells, FREE, n);
  }

  /** Whether publishes may hand deliveries over: the worker runs and no older ones wait in the queue. */
  get open(): boolean {
    return Atomics.load(this.cells, OPEN) === 1;
  }

  set open(open: boolean) {
    Atomics.store(this.cells, OPEN, open ? 1 : 0);
  }

  /** Counts the offers that left deliveries in the queue. */
  get refusals(): number {
    return Atomics.load(this.cells, REFUSALS);
  }

  /** Counts a delivery of the endpoint as in flight, past its cap if need be (a claim decided it). */
  enter(endpointId: string): void {
    Atomics.add(this.cells, bucketOf(endpointId), 1);
  }

  leave(endpointId: string): void {
    Atomics.sub(this.cells, bucketOf(endpointId), 1);
  }

  /**
   * Reserves a slot and a place within its endpoint's cap for each delivery it can, in order, and
   * returns which; nothing while the room is closed. Refusing any closes the room: the refused
   * deliveries are queued, and fresh ones must not overtake them.
   */
  reserve(endpointIds: readonly string[]): boolean[] | undefined {
    if (!this.open) return undefined;
    const cap = Atomics.load(this.cells, CAP);
    let slots = this.take(endpointIds.length);
    // Once a bucket refuses, later deliveries of it are refused too, even if a place frees up
    // meanwhile (on the worker's thread): they must not overtake the refused one.
    const full = new Set<number>();
    const taken = endpointIds.map((endpointId) => {
      const bucket = bucketOf(endpointId);
      if (slots === 0 || full.has(bucket)) return false;
      if (!this.enterWithin(bucket, cap)) {
        full.add(bucket);
        return false;
      }
      slots--;
      return true;
    });
    this.give(slots);
    if (taken.some((t) => !t)) {
      // Counted before closing: see reopen().
      Atomics.add(this.cells, REFUSALS, 1);
      this.open = false;
    }
    return taken;
  }

  /**
   * Opens the room unless an offer refused deliveries since `refusals` was read: those wait in the
   * queue, and the room must stay closed until a claim has looked for them. A refusal counts
   * before it closes the room and this opens before it checks the count, so whichever order
   * the two threads run in, a refusal is never lost.
   */
  reopen(refusals: number): void {
    this.open = true;
    if (this.refusals !== refusals) this.open = false;
  }

  /** Gives back what `reserve` took for deliveries that will not be sent. */
  unreserve(endpointIds: readonly string[], taken: readonly boolean[]): void {
    let count = 0;
    endpointIds.forEach((endpointId, i) => {
      if (!taken[i]) return;
      this.leave(endpointId);
      count++;
    });
    this.give(count);
  }

  private enterWithin(bucket: number, cap: number): boolean {
    for (;;) {
      const n = Atomics.load(this.cells, bucket);
      if (n >= cap) return false;
      if (Atomics.compareExchange(this.cells, bucket, n, n + 1) === n) return true;
    }
  }
}

/** FNV-1a over the id's UTF-16 code units. */
function bucketOf(endpointId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < endpointId.length; i++) hash = Math.imul(hash ^ endpointId.charCodeAt(i), 0x01000193);
  return BUCKETS + ((hash >>> 0) % bucketCount);
}
