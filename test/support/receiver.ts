// A real HTTP(S) webhook receiver on 127.0.0.1, port 0, for delivery tests. It records every
// request and answers as the test says — succeed, fail, hang, trickle, stream a huge body,
// redirect or drop the socket — and the test can change its mind at any time with respond().
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Date.now() when the whole request body had arrived. */
  receivedAt: number;
}

export interface Behaviour {
  status?: number; // default 200
  headers?: Record<string, string>;
  body?: string;
  /** Never answer (the socket stays open until the client gives up or close() is called). */
  hang?: boolean;
  /** Send headers, then `count` chunks, one every `everyMs`, then end. */
  trickle?: { chunk: string; everyMs: number; count: number };
  /** Stream this many bytes of body (honouring back-pressure). */
  bigBodyBytes?: number;
  /** Answer 302 with this Location. */
  redirectTo?: string;
  /** Drop the socket without answering. */
  destroy?: boolean;
}

export type Responder = (request: RecordedRequest, index: number) => Behaviour;

export interface Receiver {
  /** Base URL, e.g. "http://127.0.0.1:41234". */
  url: string;
  requests: RecordedRequest[];
  /** TCP connections accepted so far (keep-alive reuses one). */
  connections: number;
  respond(responder: Responder): void;
  /** Resolves once `n` requests have been recorded; rejects after `timeoutMs`. */
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Stops the server and ends every socket, including hung and trickling ones. */
  close(): Promise<void>;
}

export async function createReceiver(options: { https?: { key: string; cert: string } } = {}): Promise<Receiver> {
  let responder: Responder = () => ({});
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      receivedAt: Date.now(),
    };
    const index = requests.push(recorded) - 1;
    for (const wake of waiters) wake();
    const behaviour = responder(recorded, index);

    if (behaviour.destroy) return void req.socket.destroy();
    if (behaviour.hang) return;
    const headers = { ...behaviour.headers };
    if (behaviour.redirectTo) {
      res.writeHead(302, { ...headers, location: behaviour.redirectTo }).end(behaviour.body ?? '');
      return;
    }
    const status = behaviour.status ?? 200;
    if (behaviour.trickle) return trickle(res, status, headers, behaviour.trickle);
    if (behaviour.bigBodyBytes !== undefined) return streamBytes(res, status, headers, behaviour.bigBodyBytes);
    const body = behaviour.body ?? '';
    res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers }).end(body);
  }

  function trickle(res: http.ServerResponse, status: number, headers: Record<string, string>, plan: NonNullable<Behaviour['trickle']>): void {
    res.writeHead(status, headers);
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return stopTimer(timer);
      res.write(plan.chunk);
      if (++sent >= plan.count) {
        stopTimer(timer);
        res.end();
      }
    }, plan.everyMs);
    timers.add(timer);
  }

  function stopTimer(timer: NodeJS.Timeout): void {
    clearInterval(timer);
    timers.delete(timer);
  }

  async function streamBytes(res: http.ServerResponse, status: number, headers: Record<string, string>, total: number): Promise<void> {
    res.writeHead(status, { 'content-length': String(total), ...headers });
    const block = Buffer.alloc(64 * 1024, 'x');
    let left = total;
    while (left > 0 && !res.destroyed) {
      const piece = left >= block.length ? block : block.subarray(0, left);
      left -= piece.length;
      if (!res.write(piece)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
    if (!res.destroyed) res.end();
  }

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch(() => req.socket.destroy());
  };
  const server = options.https ? https.createServer({ key: options.https.key, cert: options.https.cert }, onRequest) : http.createServer(onRequest);

  const receiver: Receiver = {
    url: '',
    requests,
    connections: 0,
    respond(next) {
      responder = next;
    },
    waitForRequests(n, timeoutMs = 2_000) {
      if (requests.length >= n) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const wake = () => {
          if (requests.length < n) return;
          finish();
          resolve(requests);
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`expected ${n} request(s) within ${timeoutMs} ms, got ${requests.length}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        waiters.add(wake);
      });
    },
    async close() {
      for (const timer of timers) stopTimer(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };

  // 'connection' is the TCP accept, for HTTPS too (before the TLS handshake).
  server.on('connection', (socket: Socket) => {
    receiver.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  receiver.url = `${options.https ? 'https' : 'http'}://127.0.0.1:${port}`;
  return receiver;
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

