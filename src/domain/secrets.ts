// Endpoint signing secrets (Standard Webhooks, "Signature scheme"): `whsec_` followed by the
// base64 of 24 to 64 random bytes; the decoded bytes are the HMAC-SHA256 key.
import { randomBytes } from 'node:crypto';
import { invalidField } from './errors.ts';

export const secretPrefix = 'whsec_';

export function generateEndpointSecret(): string {
  return secretPrefix + randomBytes(24).toString('base64');
}

export function assertEndpointSecret(secret: string, path = 'secret'): void {
  const body = secret.startsWith(secretPrefix) ? secret.slice(secretPrefix.length) : null;
  const length = body !== null && /^[A-Za-z0-9+/]+={0,2}$/.test(body) ? Buffer.from(body, 'base64').length : 0;
  if (length < 24 || length > 64) {
    throw invalidField(path, 'must be "whsec_" followed by the base64 of 24 to 64 random bytes');
  }
}

/** The HMAC key a secret stands for. */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.slice(secretPrefix.length), 'base64');
}
