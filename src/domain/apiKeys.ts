// API keys and the operator token are random bearer strings; only their SHA-256 is stored.
// SHA-256 (not a slow KDF) fits: the inputs carry 192 bits of entropy, so there is nothing to
// brute-force, and every request must be checked quickly.
import { hash, randomBytes } from 'node:crypto';
import type { Environment } from './types.ts';

export interface NewKey {
  key: string;
  hash: string;
  prefix: string;
  last4: string;
}

export function generateApiKey(environment: Environment): NewKey {
  const key = `hk_${environment}_${randomBytes(24).toString('base64url')}`;
  return { key, hash: hashToken(key), prefix: key.slice(0, `hk_${environment}_`.length + 4), last4: key.slice(-4) };
}

export function generateAdminToken(): string {
  return `hadm_${randomBytes(24).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return hash('sha256', token, 'hex'); // one call: half the cost of createHash().update().digest()
}
