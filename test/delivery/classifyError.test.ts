// The classifier alone: error codes from every layer (resolver, socket, OpenSSL, undici, the
// SSRF guard) map to attempt outcomes, wherever they sit in a chain of wrapped errors.
import { describe, expect, it } from 'vitest';
import { classifyError, describeError, outcomeOfStatus } from '../../src/delivery/classifyError.ts';

function coded(code: string, message = `failed ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyError', () => {
  it.each([
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['ECONNREFUSED', 'connect'],
    ['EHOSTUNREACH', 'connect'],
    ['ENETUNREACH', 'connect'],
    ['ETIMEDOUT', 'connect'],
    ['UND_ERR_CONNECT_TIMEOUT', 'connect'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['CERT_NOT_YET_VALID', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ERR_TLS_HANDSHAKE_TIMEOUT', 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['ERR_HERALD_ADDRESS_REFUSED', 'ssrf_blocked'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['HPE_INVALID_CONSTANT', 'network'],
    ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'network'],
  ])('%s → %s', (code, outcome) => {
    expect(classifyError(coded(code), 'request').outcome).toBe(outcome);
  });

  it.each(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'])('%s is connect before the response and network during the body', (code) => {
    expect(classifyError(coded(code), 'request').outcome).toBe('connect');
    expect(classifyError(coded(code), 'body').outcome).toBe('network');
  });

  it('finds the code in a cause chain and reports that error', () => {
    const wrapped = new TypeError('fetch failed', { cause: coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9') });
    expect(classifyError(wrapped, 'request')).toEqual({ outcome: 'connect', error: 'connect ECONNREFUSED 127.0.0.1:9' });
  });

  it('looks inside an AggregateError (Happy Eyeballs tried several addresses)', () => {
    const all = new AggregateError([coded('ETIMEDOUT', 'connect ETIMEDOUT 192.0.2.1:443'), coded('ENETUNREACH', 'connect ENETUNREACH 2001:db8::1:443')]);
    expect(classifyError(all, 'request')).toEqual({ outcome: 'connect', error: 'connect ETIMEDOUT 192.0.2.1:443' });
  });

  it('calls anything unknown network and still says what happened', () => {
    expect(classifyError(new Error('something odd'), 'body')).toEqual({ outcome: 'network', error: 'something odd' });
    expect(classifyError('a string', 'request')).toEqual({ outcome: 'network', error: 'a string' });
  });
});

describe('describeError', () => {
  it('adds the code when the message lacks it', () => {
    expect(describeError(coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'))).toBe(
      'unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
    );
    expect(describeError(coded('ENOTFOUND', 'getaddrinfo ENOTFOUND example.invalid'))).toBe('getaddrinfo ENOTFOUND example.invalid');
  });

  it('keeps only the reason of an OpenSSL error line', () => {
    const line = '803C8E4EC67F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n';
    expect(describeError(coded('ERR_SSL_WRONG_VERSION_NUMBER', line))).toBe('wrong version number (ERR_SSL_WRONG_VERSION_NUMBER)');
  });

  it('leaves the SSRF guard message alone', () => {
    expect(describeError(coded('ERR_HERALD_ADDRESS_REFUSED', 'address 10.0.0.1 is private and not allowed'))).toBe('address 10.0.0.1 is private and not allowed');
  });
});

describe('outcomeOfStatus', () => {
  it.each([
    [200, 'success'],
    [204, 'success'],
    [299, 'success'],
    [301, 'http_3xx'],
    [304, 'http_3xx'],
    [400, 'http_4xx'],
    [410, 'http_4xx'],
    [429, 'http_4xx'],
    [500, 'http_5xx'],
    [503, 'http_5xx'],
    [600, 'http_other'],
    [999, 'http_other'],
  ])('%i → %s', (status, outcome) => {
    expect(outcomeOfStatus(status)).toBe(outcome);
  });
});
