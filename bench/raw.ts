// R, the yardstick: how fast one Node process can POST a ~1 KB signed webhook to the receiver with
// undici and a given concurrency. Herald's figures are reported as fractions of R from the same run.
import { createHmac, randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';

export function sampleBody(): string {
  return JSON.stringify({ id: 'evt', type: 'bench.event', data: { blob: randomBytes(700).toString('base64') } });
}

export async function measureRaw(url: string, concurrency: number, durationMs: number): Promise<number> {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 60_000 });
  const key = randomBytes(24);
  const body = sampleBody();
  let done = 0;
  const until = performance.now() + durationMs;
  const started = performance.now();
  const loop = async () => {
    while (performance.now() < until) {
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = createHmac('sha256', key).update(`msg.${timestamp}.${body}`).digest('base64');
      const response = await request(url, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', 'webhook-id': 'msg', 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` },
        body,
      });
      await response.body.text();
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  return done / seconds;
}
