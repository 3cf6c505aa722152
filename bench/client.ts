// Talking to Herald's API during a benchmark: setting up a tenant with endpoints, publishing under
// closed- or open-loop load, and waiting until the deliveries are recorded as succeeded.
import { Pool } from 'undici';
import { sampleBody } from './raw.ts';

export const adminToken = 'bench-operator-token-0000000000';
export const eventType = 'bench.event';
const authorization = `Bearer ${adminToken}`;
const jsonHeaders = { authorization, 'content-type': 'application/json' };

export class HeraldClient {
  /** Herald's origin, straight: no agent to look the origin up, and no URL to parse per request. */
  private readonly pool: Pool;

  constructor(base: string) {
    this.pool = new Pool(base, { connections: 256, keepAliveTimeout: 60_000 });
  }

  async call<T = unknown>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const response = await this.pool.request({
      method,
      path,
      headers: body === undefined ? { authorization } : jsonHeaders,
      body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.body.text();
    return { status: response.statusCode, json: (text ? JSON.parse(text) : null) as T };
  }

  /** A tenant with `fanOut` endpoints (all subscribed to the bench type) on the receiver. */
  async setup(tenantId: string, receiverUrl: string, fanOut: number): Promise<string[]> {
    await this.call('PUT', `/v1/event-types/${eventType}`, { description: 'benchmark event' });
    await this.call('POST', '/v1/tenants', { id: tenantId, name: tenantId });
    const ids: string[] = [];
    for (let i = 0; i < fanOut; i++) {
      const { status, json } = await this.call<{ id: string }>('POST', `/v1/tenants/${tenantId}/endpoints`, { url: `${receiverUrl}/hook/${i}`, eventTypes: [eventType] });
      if (status !== 201) throw new Error(`creating an endpoint failed: ${status} ${JSON.stringify(json)}`);
      ids.push(json.id);
    }
    return ids;
  }

  /** Publishes `count` events with `concurrency` requests in flight; returns each event's accept time. */
  async publishClosedLoop(tenantId: string, count: number, concurrency: number, onAccepted?: (id: string, at: number) => void): Promise<void> {
    const body = Buffer.from(`{"type":"${eventType}","data":${sampleBody()}}`);
    let next = 0;
    const loop = async () => {
      while (next < count) {
        next++;
        await this.publishOne(tenantId, body, onAccepted);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
  }

  /** Publishes at a fixed rate regardless of how fast answers come (open loop), for `seconds`. */
  async publishOpenLoop(tenantId: string, perSecond: number, seconds: number, onAccepted: (id: string, at: number) => void): Promise<number> {
    const body = Buffer.from(`{"type":"${eventType}","data":${sampleBody()}}`);
    const total = Math.round(perSecond * seconds);
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / perSecond;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(this.publishOne(tenantId, body, onAccepted));
    }
    await Promise.all(inFlight);
    return total;
  }

  /**
   * One publish, as lean as the load generator can make it: it shares the machine with Herald, so
   * each microsecond it spends is one Herald does not get. Headers are built once, the body is one
   * Buffer for every publish, and the answer goes to a handler of the dispatch API (no response
   * stream, no promise per stage), which keeps it only when its event id is wanted.
   */
  private publishOne(tenantId: string, body: Buffer, onAccepted?: (id: string, at: number) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let status = 0;
      const chunks: Buffer[] = [];
      this.pool.dispatch({ method: 'POST', path: `/v1/tenants/${tenantId}/events`, headers: jsonHeaders, body }, {
        onRequestStart() {},
        onResponseStart(_, statusCode) {
          status = statusCode;
        },
        onResponseData(_, chunk) {
          if (onAccepted || status !== 202) chunks.push(chunk);
        },
        onResponseEnd() {
          const text = Buffer.concat(chunks).toString();
          if (status !== 202) return reject(new Error(`publish failed: ${status} ${text}`));
          if (onAccepted) onAccepted((JSON.parse(text) as { id: string }).id, performance.timeOrigin + performance.now());
          resolve();
        },
        onResponseError(_, error) {
          reject(error);
        },
      });
    });
  }

  /** Whether any delivery of the tenant is still pending (one cheap search through the API). */
  async anyPending(tenantId: string): Promise<boolean> {
    const { json } = await this.call<{ data: unknown[] }>('GET', `/v1/tenants/${tenantId}/deliveries?status=pending&limit=1`);
    return json.data.length > 0;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
