// Turns whatever went wrong while sending one webhook request into an attempt outcome and a
// human-readable reason. Receiver and network failures are data, never exceptions: the worker
// decides from the outcome whether to retry, and the reason is shown in the attempt log.
//
// Errors reach us from several layers — the resolver (getaddrinfo codes), the socket (errno
// codes), OpenSSL (certificate and SSL codes), undici (UND_ERR_*) and our own SSRF guard — and
// are sometimes wrapped (`cause`) or grouped (AggregateError from Happy Eyeballs, RFC 8305), so
// the classifier looks through the whole chain for the first code it knows.

import type { AttemptOutcome } from './httpSender.ts';

export type FailureOutcome = Exclude<AttemptOutcome, 'success' | `http_${string}`>;

/** Where the exchange was when it failed: before the response headers, or reading the body. */
export type SendStage = 'request' | 'body';

/** The code of the error the SSRF guard raises instead of connecting to a refused address. */
export const addressRefusedCode = 'ERR_HERALD_ADDRESS_REFUSED';

const dnsCodes = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA', 'ENODATA', 'ESERVFAIL', 'ENONAME']);
const connectCodes = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ETIMEDOUT', // the kernel's connect timeout, or every Happy Eyeballs attempt timed out
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** Codes meaning "the peer went away"; before a response that is a connect failure, after it a network one. */
const closedCodes = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const tlsCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
]);
const timeoutCodes = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function outcomeOfCode(code: string, stage: SendStage): FailureOutcome | null {
  if (code === addressRefusedCode) return 'ssrf_blocked';
  if (dnsCodes.has(code)) return 'dns';
  if (connectCodes.has(code)) return 'connect';
  if (tlsCodes.has(code) || /^(CERT_|ERR_TLS_|ERR_SSL_)/.test(code)) return 'tls';
  if (timeoutCodes.has(code)) return 'timeout';
  if (closedCodes.has(code)) return stage === 'request' ? 'connect' : 'network';
  return null;
}

/** The error and everything it wraps (`cause`, AggregateError `errors`), outermost first. */
function chain(error: unknown): unknown[] {
  const seen: unknown[] = [];
  const queue = [error];
  while (queue.length > 0 && seen.length < 16) {
    const next = queue.shift();
    if (next == null || seen.includes(next)) continue;
    seen.push(next);
    if (typeof next === 'object') {
      const { cause, errors } = next as { cause?: unknown; errors?: unknown };
      if (cause !== undefined) queue.push(cause);
      if (Array.isArray(errors)) queue.push(...errors);
    }
  }
  return seen;
}

function codeOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}

/** "message (CODE)", or the messages of the wrapped errors when the outer one has none. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = codeOf(error);
  let message = error.message;
  if (!message && error instanceof AggregateError) message = error.errors.map(describeError).join('; ');
  if (!message) message = error.name;
  // OpenSSL's own lines ("…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:…")
  // come down to their reason.
  const openssl = /:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/.exec(message);
  if (openssl?.[1]) message = openssl[1];
  // Our own refusal needs no code: its message says it all.
  return code && code !== addressRefusedCode && !message.includes(code) ? `${message} (${code})` : message;
}

/** The outcome and reason for an error thrown while sending; unknown errors are `network`. */
export function classifyError(error: unknown, stage: SendStage): { outcome: FailureOutcome; error: string } {
  for (const link of chain(error)) {
    const code = codeOf(link);
    const outcome = code ? outcomeOfCode(code, stage) : null;
    if (outcome) return { outcome, error: describeError(link) };
  }
  return { outcome: 'network', error: describeError(error) };
}

/** The outcome of a response that arrived in full (or up to the body cap). */
export function outcomeOfStatus(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return 'success';
  if (status >= 300 && status < 400) return 'http_3xx';
  if (status >= 400 && status < 500) return 'http_4xx';
  if (status >= 500 && status < 600) return 'http_5xx';
  return 'http_other';
}
