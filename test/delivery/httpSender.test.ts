// The delivery HTTP client against real loopback receivers: every way a receiver or the network
// can answer becomes a SendResult with the right outcome, within the absolute deadline.
import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NetworkPolicy } from '../../src/domain/networkPolicy.ts';
import { createSender, guardedLookup, type Sender, type SenderOptions } from '../../src/delivery/httpSender.ts';
import { createReceiver, type Receiver } from '../support/receiver.ts';
import { createTestCa, type TestCa } from '../support/testCa.ts';

const timeoutMs = 300;
const maxResponseBytes = 20_480;
const loopback = new NetworkPolicy(['127.0.0.0/8']);
const base: SenderOptions = { timeoutMs, maxResponseBytes, network: loopback, userAgent: 'Herald-Webhooks/1.0' };
const payload = JSON.stringify({ type: 'payment.sent', data: { amount: 42 } });
const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_1' };

let ca: TestCa;
let sender: Sender; // may reach loopback
let strict: Sender; // the default policy: public unicast only
let trusting: Sender; // may reach loopback and trusts the test CA
const receivers: Receiver[] = [];

async function receiver(options?: Parameters<typeof createReceiver>[0]): Promise<Receiver> {
  const created = await createReceiver(options);
  receivers.push(created);
  return created;
}

function send(target: Sender, url: string, signal?: AbortSignal) {
  return target.send({ url, headers, body: payload, ...(signal ? { signal } : {}) });
}

beforeAll(() => {
  ca = createTestCa();
  sender = createSender(base);
  strict = createSender({ ...base, network: new NetworkPolicy() });
  trusting = createSender({ ...base, caFile: ca.caFile });
});

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await Promise.all([sender.close(), strict.close(), trusting.close()]);
  ca.remove();
});

describe('createSender: HTTP answers', () => {
  it('POSTs the body and headers and captures a 2xx response', async () => {
    const r = await receiver();
    r.respond(() => ({ status: 202, headers: { 'X-Trace': 'abc' }, body: '{"ok":true}' }));
    const result = await send(sender, `${r.url}/hooks?x=1`);
    expect(result).toMatchObject({
      outcome: 'success',
      statusCode: 202,
      responseBody: '{"ok":true}',
      responseBodyTruncated: false,
      error: null,
    });
    expect(result.responseHeaders).toMatchObject({ 'x-trace': 'abc', 'content-length': '11' });
    expect(Number.isInteger(result.durationMs)).toBe(true);
    const [request] = r.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/hooks?x=1', body: payload });
    expect(request?.headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': 'msg_1', 'user-agent': 'Herald-Webhooks/1.0' });
  });

  it('reports a 500 as http_5xx with the body', async () => {
    const r = await receiver();
    r.respond(() => ({ status: 500, body: 'boom' }));
    expect(await send(sender, r.url)).toMatchObject({ outcome: 'http_5xx', statusCode: 500, responseBody: 'boom', error: 'HTTP 500 Internal Server Error' });
  });

  it('reports a 410 as http_4xx with its status', async () => {
    const r = await receiver();
    r.respond(() => ({ status: 410 }));
    expect(await send(sender, r.url)).toMatchObject({ outcome: 'http_4xx', statusCode: 410, responseBody: '' });
  });

  it('reports a status outside 2xx–5xx as http_other', async () => {
    const r = await receiver();
    r.respond(() => ({ status: 999 }));
    expect(await send(sender, r.url)).toMatchObject({ outcome: 'http_other', statusCode: 999 });
  });

  it('never follows a redirect', async () => {
    const first = await receiver();
    const target = await receiver();
    first.respond(() => ({ redirectTo: `${target.url}/elsewhere` }));
    const result = await send(sender, first.url);
    expect(result).toMatchObject({ outcome: 'http_3xx', statusCode: 302 });
    expect(result.responseHeaders?.location).toBe(`${target.url}/elsewhere`);
    expect(result.error).toContain('not followed');
    expect(first.requests).toHaveLength(1);
    expect(target.requests).toHaveLength(0);
    expect(target.connections).toBe(0);
  });

  it('reuses one kept-alive connection for sequential sends to an origin', async () => {
    const r = await receiver();
    r.respond((_, index) => ({ body: `reply ${index}` }));
    for (let i = 0; i < 5; i++) expect(await send(sender, r.url)).toMatchObject({ outcome: 'success', responseBody: `reply ${i}` });
    expect(r.requests).toHaveLength(5);
    expect(r.connections).toBe(1);
  });
});

describe('createSender: deadline and body cap', () => {
  it('ends a receiver that never answers at the deadline', async () => {
    const r = await receiver();
    r.respond(() => ({ hang: true }));
    const result = await send(sender, r.url);
    expect(result).toMatchObject({ outcome: 'timeout', statusCode: null, responseBody: null });
    expect(result.error).toBe(`no complete response within ${timeoutMs} ms (before the response headers)`);
    expect(result.durationMs).toBeGreaterThanOrEqual(timeoutMs - 5);
    expect(result.durationMs).toBeLessThan(timeoutMs + 200);
  });

  it('ends a body trickling past the deadline at the deadline, keeping what arrived', async () => {
    const r = await receiver();
    r.respond(() => ({ trickle: { chunk: 'tick ', everyMs: 40, count: 50 } })); // ≈ 2 s in all
    const result = await send(sender, r.url);
    expect(result).toMatchObject({ outcome: 'timeout', statusCode: 200 });
    expect(result.error).toContain('while reading the response body');
    expect(result.responseBody).toMatch(/^(tick )+$/);
    expect(result.durationMs).toBeGreaterThanOrEqual(timeoutMs - 5);
    expect(result.durationMs).toBeLessThan(timeoutMs + 200);
  });

  it('cuts a huge body at maxResponseBytes without reading the rest', async () => {
    const r = await receiver();
    r.respond(() => ({ bigBodyBytes: 5 * 1024 * 1024 }));
    const result = await send(sender, r.url);
    expect(result).toMatchObject({ outcome: 'success', statusCode: 200, responseBodyTruncated: true });
    expect(result.responseBody).toHaveLength(maxResponseBytes);
    expect(result.durationMs).toBeLessThan(timeoutMs);
  });

  it('keeps a body of exactly maxResponseBytes whole', async () => {
    const r = await receiver();
    r.respond(() => ({ bigBodyBytes: maxResponseBytes }));
    expect(await send(sender, r.url)).toMatchObject({ outcome: 'success', responseBodyTruncated: false });
  });

  it("stops when the caller's signal aborts", async () => {
    const r = await receiver();
    r.respond(() => ({ hang: true }));
    const result = await send(sender, r.url, AbortSignal.timeout(50));
    expect(result.outcome).toBe('timeout');
    expect(result.error).toContain('aborted by the caller');
    expect(result.durationMs).toBeLessThan(timeoutMs - 100);
  });

  it('opens nothing for a signal aborted before the call', async () => {
    const r = await receiver();
    const result = await send(sender, r.url, AbortSignal.abort());
    expect(result).toMatchObject({ outcome: 'timeout', error: 'aborted by the caller (before the response headers)' });
    await new Promise((resolve) => setTimeout(resolve, 50)); // room for a stray connection to show
    expect(r.connections).toBe(0);
  });
});

describe('createSender: network failures', () => {
  it('reports a refused connection as connect', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const result = await send(sender, `http://127.0.0.1:${port}/`);
    expect(result).toMatchObject({ outcome: 'connect', statusCode: null, error: `connect ECONNREFUSED 127.0.0.1:${port}` });
  });

  it('reports a socket dropped before any response as connect', async () => {
    const r = await receiver();
    r.respond(() => ({ destroy: true }));
    const result = await send(sender, r.url);
    expect(result.outcome).toBe('connect');
    expect(result.statusCode).toBeNull();
  });

  it('reports a name that does not resolve as dns', async () => {
    const result = await send(sender, 'https://does-not-exist.invalid/');
    expect(result.outcome).toBe('dns');
    expect(result.error).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });
});

describe('createSender: SSRF guard', () => {
  it('refuses a loopback IP literal the policy does not allow, without connecting', async () => {
    const r = await receiver();
    const result = await send(strict, r.url);
    expect(result).toMatchObject({ outcome: 'ssrf_blocked', statusCode: null, error: 'address 127.0.0.1 is loopback and not allowed' });
    expect(r.connections).toBe(0);
    expect(r.requests).toHaveLength(0);
  });

  it('refuses a name that resolves to loopback', async () => {
    const r = await receiver();
    const result = await send(strict, r.url.replace('127.0.0.1', 'localhost'));
    expect(result.outcome).toBe('ssrf_blocked');
    expect(result.error).toMatch(/^localhost resolved to (127\.0\.0\.1|::1), which is loopback and not allowed$/);
    expect(r.connections).toBe(0);
  });

  // Loopback targets only, so that even a broken guard sends nothing off this machine; which
  // ranges are refused is NetworkPolicy's own test.
  it.each([
    ['http://[::1]:9/', 'address ::1 is loopback and not allowed'],
    ['https://[::ffff:127.0.0.1]:9/', 'address ::ffff:7f00:1 is ipv4Mapped and not allowed'],
    ['http://2130706433:9/', 'address 127.0.0.1 is loopback and not allowed'], // WHATWG URL normalises it
  ])('refuses the IP literal in %s', async (url, error) => {
    expect(await send(strict, url)).toMatchObject({ outcome: 'ssrf_blocked', error });
  });
});

describe('guardedLookup', () => {
  const answer = (addresses: LookupAddress[]) => (_host: string, _options: unknown, callback: (err: null, addresses: LookupAddress[]) => void) =>
    callback(null, addresses);
  const lookup = (resolve: ReturnType<typeof answer>, all: boolean) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve_) =>
      guardedLookup(new NetworkPolicy(), resolve)('hooks.example.com', { all }, (err, address) => resolve_({ err, address })),
    );

  it('refuses an answer mixing public and private addresses (DNS rebinding)', async () => {
    const mixed = answer([
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ]);
    const { err } = await lookup(mixed, true);
    expect(err?.code).toBe('ERR_HERALD_ADDRESS_REFUSED');
    expect(err?.message).toBe('hooks.example.com resolved to 10.0.0.7, which is private and not allowed');
  });

  it('passes a public answer on in the form net.connect asked for', async () => {
    const addresses = [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::248', family: 6 },
    ];
    expect(await lookup(answer(addresses), true)).toEqual({ err: null, address: addresses });
    expect(await lookup(answer(addresses), false)).toEqual({ err: null, address: '93.184.216.34' });
  });
});

describe('createSender: HTTPS', () => {
  it('succeeds when the receiver certificate chains to a trusted CA', async () => {
    const r = await receiver({ https: { key: ca.key, cert: ca.cert } });
    r.respond(() => ({ body: 'secure' }));
    expect(r.url.startsWith('https://')).toBe(true);
    expect(await send(trusting, r.url)).toMatchObject({ outcome: 'success', responseBody: 'secure' });
  });

  it('fails with tls when the CA is not trusted, sending nothing', async () => {
    const r = await receiver({ https: { key: ca.key, cert: ca.cert } });
    const result = await send(sender, r.url);
    expect(result).toMatchObject({ outcome: 'tls', statusCode: null });
    expect(result.error).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/);
    expect(r.requests).toHaveLength(0);
  });
});
