import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { generateApiKey, hashToken } from '../../src/domain/apiKeys.ts';
import { HeraldError } from '../../src/domain/errors.ts';
import { assertEndpointSecret, generateEndpointSecret, secretKey } from '../../src/domain/secrets.ts';
import { createSecretBox } from '../../src/domain/secretBox.ts';
import { randomBytes } from 'node:crypto';

describe('endpoint secrets', () => {
  it('are whsec_ + base64 of 24 random bytes, different every time, usable by standardwebhooks', () => {
    const a = generateEndpointSecret();
    const b = generateEndpointSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(a).not.toBe(b);
    expect(secretKey(a)).toHaveLength(24);
    expect(() => new Webhook(a)).not.toThrow();
  });

  it('supplied secrets must have 24 to 64 bytes', () => {
    expect(() => assertEndpointSecret(`whsec_${randomBytes(32).toString('base64')}`)).not.toThrow();
    for (const bad of ['secret', 'whsec_', `whsec_${randomBytes(8).toString('base64')}`, `whsec_${randomBytes(65).toString('base64')}`, 'whsec_!!!!']) {
      expect(() => assertEndpointSecret(bad)).toThrow(HeraldError);
    }
  });
});

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips and never stores the plaintext', () => {
    const sealed = box.seal('whsec_abc');
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain('whsec_abc');
    expect(box.open(sealed)).toBe('whsec_abc');
    expect(box.seal('whsec_abc')).not.toBe(sealed); // a fresh IV each time
  });

  it('refuses tampered data and another key', () => {
    const sealed = box.seal('whsec_abc');
    const tampered = sealed.slice(0, -4) + (sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(() => box.open(tampered)).toThrow();
    expect(() => createSecretBox(randomBytes(32)).open(sealed)).toThrow();
  });
});

describe('API keys', () => {
  it('carry their environment, show a prefix and last 4, and are stored only as a hash', () => {
    const k = generateApiKey('test');
    expect(k.key).toMatch(/^hk_test_[A-Za-z0-9_-]{32}$/);
    expect(k.prefix).toBe(k.key.slice(0, 12));
    expect(k.last4).toBe(k.key.slice(-4));
    expect(k.hash).toBe(hashToken(k.key));
    expect(k.hash).not.toContain(k.key.slice(8));
  });
});
