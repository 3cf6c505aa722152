// Standard Webhooks signatures ("Signature scheme"): HMAC-SHA256 over `${id}.${timestamp}.${body}`
// with the decoded secret, sent as `v1,<base64>`. During a secret's grace period the header lists
// one signature per secret, separated by spaces, so a receiver holding either secret verifies.
import { createHmac } from 'node:crypto';

export function signatureHeader(messageId: string, timestampSeconds: number, body: string, keys: readonly Buffer[]): string {
  const signed = `${messageId}.${timestampSeconds}.${body}`;
  return keys.map((key) => `v1,${createHmac('sha256', key).update(signed).digest('base64')}`).join(' ');
}
