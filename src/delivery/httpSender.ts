// The delivery HTTP client: sends one webhook request and turns whatever happens into a
// SendResult. It never throws for receiver or network problems and never follows redirects
// (DESIGN.md, "Delivery semantics").
//
// - Connections are kept alive in one undici pool per origin.
// - SSRF guard: every address is checked against the NetworkPolicy when connecting, after DNS —
//   a custom `lookup` for names (every address of the answer must pass, so an answer mixing public
//   and private addresses is refused) and a check in the connector for IP literals, which
//   net.connect never looks up. A refused address gets no TCP connection.
// - Absolute deadline: one timer covers connect, headers and the whole body. undici's own
//   headersTimeout/bodyTimeout are inactivity timers (a trickling body would reset them), so they
//   are only a backstop here.
// - The response body is read as a stream and cut at maxResponseBytes.
import dns from 'node:dns';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import type { NetworkPolicy } from '../domain/networkPolicy.ts';
import { addressRefusedCode, classifyError, outcomeOfStatus, type FailureOutcome, type SendStage } from './classifyError.ts';

export type AttemptOutcome =
  | 'success' // 2xx
  | 'http_3xx'
  | 'http_4xx'
  | 'http_5xx'
  | 'http_other' // any other status (1xx never reaches here)
  | 'timeout' // the absolute deadline passed (connect, headers or body), or the caller aborted
  | 'dns' // name did not resolve
  | 'connect' // refused, unreachable, reset before a response
  | 'tls' // certificate or handshake failure
  | 'ssrf_blocked' // the address (after DNS, or an IP literal) is not allowed by the NetworkPolicy
  | 'network'; // anything else on the wire (socket closed mid-response, protocol error…)

export interface SendResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  /** Lower-case names; repeated headers joined with ", ". */
  responseHeaders: Record<string, string> | null;
  /** At most maxResponseBytes bytes, decoded as UTF-8 (invalid bytes replaced). */
  responseBody: string | null;
  responseBodyTruncated: boolean;
  /** Why the attempt failed (null on success), e.g. "connect ECONNREFUSED 127.0.0.1:9". */
  error: string | null;
  /** Whole milliseconds from the call to the result. */
  durationMs: number;
}

export interface SenderOptions {
  /** Absolute deadline for the whole exchange, including reading the body. */
  timeoutMs: number;
  maxResponseBytes: number;
  network: NetworkPolicy;
  /** Extra PEM CA(s) trusted in addition to the system roots (private PKI, tests). */
  caFile?: string;
  userAgent: string;
  /** Most sockets open to one origin at once; unlimited when absent. */
  connectionsPerOrigin?: number;
}

export interface SendRequest {
  url: string;
  /** Sent as given; a `user-agent` here replaces SenderOptions.userAgent. */
  headers: Record<string, string>;
  body: string | Buffer;
  /** Aborting it ends the attempt at once (outcome `timeout`, error saying it was aborted). */
  signal?: AbortSignal;
}

export interface Sender {
  /** Never throws for receiver or network problems: they come back as a failed SendResult. */
  send(request: SendRequest): Promise<SendResult>;
  /** Closes the pools once in-flight requests have ended. */
  close(): Promise<void>;
}

/** Raised by the SSRF guard instead of connecting to a refused address. */
export class AddressRefusedError extends Error {
  readonly code = addressRefusedCode;
  constructor(message: string) {
    super(message);
    this.name = 'AddressRefusedError';
  }
}

type Resolver = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

/**
 * A net.connect `lookup` that resolves every address of `hostname` and fails with
 * AddressRefusedError when any of them is refused by `policy`, so only checked addresses are
 * ever connected to.
 */
export function guardedLookup(policy: NetworkPolicy, resolve: Resolver = dns.lookup): net.LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      for (const { address } of addresses) {
        const refusal = policy.refusal(address);
        if (refusal) return callback(new AddressRefusedError(`${hostname} resolved to ${address}, which is ${refusal} and not allowed`), '');
      }
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

/** Wraps undici's connector to refuse IP-literal hosts, which net.connect does not look up. */
function guardedConnector(policy: NetworkPolicy, connect: buildConnector.connector): buildConnector.connector {
  return (options, callback) => {
    // undici has already taken the brackets off an IPv6 literal.
    const refusal = net.isIP(options.hostname) ? policy.refusal(options.hostname) : null;
    if (refusal) {
      const error = new AddressRefusedError(`address ${options.hostname} is ${refusal} and not allowed`);
      queueMicrotask(() => callback(error, null));
      return;
    }
    connect(options, callback);
  };
}

/** Why the attempt was stopped from our side; the abort reason of the attempt's signal. */
class Stopped extends Error {
  constructor(readonly byCaller: boolean) {
    super(byCaller ? 'aborted by the caller' : 'deadline passed');
  }
}

function stoppedFailure(reason: Stopped, stage: SendStage, timeoutMs: number): { outcome: FailureOutcome; error: string } {
  const where = stage === 'request' ? 'before the response headers' : 'while reading the response body';
  const what = reason.byCaller ? 'aborted by the caller' : `no complete response within ${timeoutMs} ms`;
  return { outcome: 'timeout', error: `${what} (${where})` };
}

/** The first `cap` bytes of a body; more than that marks it truncated. */
class CappedBody {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  /** Keeps what fits; false once the cap is passed and reading should stop. */
  add(chunk: Buffer): boolean {
    const room = this.cap - this.size;
    if (chunk.length > room) {
      this.chunks.push(chunk.subarray(0, room));
      this.size = this.cap;
      this.truncated = true;
      return false;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  text(): string {
    return Buffer.concat(this.chunks, this.size).toString('utf8');
  }
}

function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** The error of a complete response: null for a 2xx, else its status line (and an unfollowed redirect). */
function completedError(statusCode: number, statusText: string, headers: Record<string, string>): string | null {
  if (outcomeOfStatus(statusCode) === 'success') return null;
  const line = `HTTP ${statusCode}${statusText ? ` ${statusText}` : ''}`;
  return headers.location && statusCode >= 300 && statusCode < 400 ? `${line} (redirect to ${headers.location} not followed)` : line;
}

export function createSender(options: SenderOptions): Sender {
  const { timeoutMs, maxResponseBytes, network } = options;
  // Certificates are always verified; a private CA is trusted on top of the bundled roots.
  const ca = options.caFile ? [...tls.rootCertificates, readFileSync(options.caFile, 'utf8')] : undefined;
  const connector = buildConnector({ timeout: timeoutMs, lookup: guardedLookup(network), ...(ca ? { ca } : {}) });
  const agent = new Agent({
    connect: guardedConnector(network, connector),
    connections: options.connectionsPerOrigin ?? null,
    // Backstops only: the attempt's own deadline fires first.
    headersTimeout: timeoutMs + 1_000,
    bodyTimeout: timeoutMs + 1_000,
  });

  // undici's dispatch API with a handler of our own, not request(): no response stream, no promise
  // per stage and no AbortSignal per attempt. Those made up a fifth of the worker's CPU time at
  // fan-out 10 (profiled under `npm run bench`).
  function send(input: SendRequest): Promise<SendResult> {
    return new Promise((resolve) => {
      const started = performance.now();
      let stage: SendStage = 'request';
      let statusCode: number | null = null;
      let statusText = '';
      let responseHeaders: Record<string, string> | null = null;
      let controller: Dispatcher.DispatchController | null = null;
      let stopped: Stopped | null = null;
      let settled = false;
      const body = new CappedBody(maxResponseBytes);

      const finish = (outcome: AttemptOutcome, error: string | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        input.signal?.removeEventListener('abort', onCallerAbort);
        resolve({
          outcome,
          statusCode,
          responseHeaders,
          responseBody: statusCode === null ? null : body.text(),
          responseBodyTruncated: body.truncated,
          error,
          durationMs: Math.round(performance.now() - started),
        });
      };
      const stop = (reason: Stopped) => {
        if (settled) return;
        stopped = reason;
        const failure = stoppedFailure(reason, stage, timeoutMs);
        finish(failure.outcome, failure.error); // first: aborting calls onResponseError at once
        controller?.abort(reason); // not connected yet: onRequestStart aborts it
      };
      const complete = () => finish(outcomeOfStatus(statusCode!), completedError(statusCode!, statusText, responseHeaders!));
      const onCallerAbort = () => stop(new Stopped(true));
      const deadline = setTimeout(() => stop(new Stopped(false)), timeoutMs);
      if (input.signal?.aborted) return onCallerAbort(); // aborted before we began: open nothing
      input.signal?.addEventListener('abort', onCallerAbort, { once: true });

      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          if (stopped) c.abort(stopped);
          else controller = c;
        },
        onResponseStart(_, status, headers, text) {
          stage = 'body';
          statusCode = status;
          responseHeaders = flattenHeaders(headers);
          statusText = text ?? '';
        },
        onResponseData(c, chunk) {
          if (body.add(chunk)) return;
          // Cut: the rest of a huge response is never read (aborting closes the connection).
          complete();
          c.abort(new Error('response body cut at maxResponseBytes'));
        },
        onResponseEnd() {
          // undici hands a kept-alive socket back to its pool after this returns, on the next turn
          // of the event loop (client-h1 onMessageComplete: setImmediate(resume)); settling after
          // that turn lets the caller's next send to this origin reuse the socket instead of
          // opening a second connection.
          process.nextTick(() => setImmediate(complete));
        },
        onResponseError(_, error) {
          const failure = classifyError(error, stage);
          finish(failure.outcome, failure.error);
        },
      };

      try {
        const url = new URL(input.url);
        const hasUserAgent = Object.keys(input.headers).some((name) => name.toLowerCase() === 'user-agent');
        agent.dispatch({
          origin: url.origin,
          path: url.pathname + url.search,
          method: 'POST',
          headers: hasUserAgent ? input.headers : { ...input.headers, 'user-agent': options.userAgent },
          body: input.body,
        }, handler);
      } catch (error) {
        const failure = classifyError(error, stage);
        finish(failure.outcome, failure.error);
      }
    });
  }

  return {
    send,
    close: () => agent.close(),
  };
}
