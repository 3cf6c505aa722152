import { describe, expect, it } from 'vitest';
import { validateCustomHeaders } from '../../src/domain/customHeaders.ts';
import { HeraldError } from '../../src/domain/errors.ts';

function problems(headers: Record<string, unknown>) {
  try {
    validateCustomHeaders(headers);
    return [];
  } catch (error) {
    return (error as HeraldError).fieldErrors;
  }
}

describe('custom endpoint headers', () => {
  it('accepts ordinary headers', () => {
    expect(validateCustomHeaders({ 'X-Tenant': 'acme', Authorization: 'Basic abc', 'User-Agent': 'mine' })).toEqual({
      'X-Tenant': 'acme',
      Authorization: 'Basic abc',
      'User-Agent': 'mine',
    });
  });

  it('refuses CR, LF and NUL in values (header injection)', () => {
    expect(problems({ 'X-A': 'a\r\nX-Evil: 1' })).toEqual([{ path: 'headers.X-A', message: 'must not contain CR, LF or NUL characters' }]);
    expect(problems({ 'X-A': 'a\nb' })).toHaveLength(1);
    expect(problems({ 'X-A': 'a\0b' })).toHaveLength(1);
  });

  it.each(['Host', 'content-length', 'Content-Type', 'webhook-id', 'Webhook-Signature', 'WEBHOOK-TIMESTAMP', 'Transfer-Encoding', 'Connection'])(
    'refuses to override %s',
    (name) => {
      expect(problems({ [name]: 'x' })[0]).toMatchObject({ path: `headers.${name}`, message: expect.stringMatching(/Herald controls/) });
    },
  );

  it('refuses invalid names, repeats and too many headers', () => {
    expect(problems({ 'bad name': 'x' })[0]!.message).toMatch(/not a valid header name/);
    expect(problems({ 'X-A': '1', 'x-a': '2' })[0]!.message).toMatch(/twice/);
    expect(problems(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-${i}`, 'v'])))[0]!.message).toMatch(/at most 20/);
  });
});
