// The benchmark's receiver: a plain HTTP server in its own process that answers every webhook at
// once. It counts requests and, when asked, records when each webhook-id first arrived (for the
// publish → first attempt latency). Talks to the parent over IPC.
import http from 'node:http';

interface Command {
  id: number;
  cmd: 'stats' | 'arrivals' | 'reset' | 'record';
  on?: boolean;
}

let count = 0;
let recording = false;
const arrivals = new Map<string, number>();

const server = http.createServer((request, response) => {
  const id = request.headers['webhook-id'];
  if (recording && typeof id === 'string' && !arrivals.has(id)) arrivals.set(id, performance.timeOrigin + performance.now());
  request.on('data', () => {});
  request.on('end', () => {
    count++;
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    response.end('ok');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as { port: number }).port });
});

process.on('message', (message: Command) => {
  const answer = (body: object) => process.send!({ ...body, id: message.id });
  if (message.cmd === 'stats') answer({ count });
  else if (message.cmd === 'reset') {
    count = 0;
    arrivals.clear();
    answer({ ok: true });
  } else if (message.cmd === 'record') {
    recording = message.on ?? true;
    answer({ ok: true });
  } else if (message.cmd === 'arrivals') answer({ arrivals: [...arrivals] });
});
process.on('disconnect', () => process.exit(0));
