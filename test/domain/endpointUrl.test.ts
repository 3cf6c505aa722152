import { describe, expect, it } from 'vitest';
import { normalizeEndpointUrl } from '../../src/domain/endpointUrl.ts';
import { HeraldError } from '../../src/domain/errors.ts';
import { NetworkPolicy } from '../../src/domain/networkPolicy.ts';

const strict = { allowHttp: false, network: new NetworkPolicy() };
const lenient = { allowHttp: true, network: new NetworkPolicy(['127.0.0.0/8']) };

function problem(url: string, rules = strict): string {
  try {
    normalizeEndpointUrl(url, rules);
  } catch (error) {
    expect(error).toBeInstanceOf(HeraldError);
    const e = error as HeraldError;
    expect(e.code).toBe('validation_failed');
    expect(e.fieldErrors[0]!.path).toBe('url');
    return e.fieldErrors[0]!.message;
  }
  throw new Error(`${url} was accepted`);
}

describe('endpoint URL rules', () => {
  it('accepts https URLs and normalises them', () => {
    expect(normalizeEndpointUrl('https://Example.COM/hooks?x=1', strict)).toBe('https://example.com/hooks?x=1');
    expect(normalizeEndpointUrl('https://example.com:8443', strict)).toBe('https://example.com:8443/');
  });

  it('stores internationalised hostnames in punycode', () => {
    expect(normalizeEndpointUrl('https://bücher.example/x', strict)).toBe('https://xn--bcher-kva.example/x');
  });

  it('says which rule failed', () => {
    expect(problem('not a url')).toMatch(/absolute URL/);
    expect(problem('/relative/path')).toMatch(/absolute URL/);
    expect(problem('http://example.com/')).toMatch(/must use https:\/\//);
    expect(problem('ftp://example.com/')).toMatch(/https/);
    expect(problem('https://user:pass@example.com/')).toMatch(/user name or password/);
    expect(problem('https://user@example.com/')).toMatch(/user name or password/);
    expect(problem('https://example.com/#frag')).toMatch(/fragment/);
    expect(problem(`https://example.com/${'a'.repeat(2100)}`)).toMatch(/at most 2048/);
  });

  it('refuses IP literals and names that are never public', () => {
    expect(problem('https://127.0.0.1/')).toMatch(/loopback/);
    expect(problem('https://10.1.2.3/')).toMatch(/private/);
    expect(problem('https://169.254.169.254/latest')).toMatch(/linkLocal/);
    expect(problem('https://[::1]/')).toMatch(/loopback/);
    expect(problem('https://[::ffff:127.0.0.1]/')).toMatch(/ipv4Mapped/);
    expect(problem('https://localhost/')).toMatch(/loopback/);
    expect(problem('https://api.localhost/')).toMatch(/loopback/);
    expect(problem('https://0x7f000001/')).toMatch(/loopback/); // WHATWG URL turns this into 127.0.0.1
  });

  it('allows http and listed ranges when the operator says so', () => {
    expect(normalizeEndpointUrl('http://127.0.0.1:9999/in', lenient)).toBe('http://127.0.0.1:9999/in');
    expect(problem('http://10.0.0.1/', lenient)).toMatch(/private/);
  });
});
