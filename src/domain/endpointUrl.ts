// The rules an endpoint URL must follow. Parsed with WHATWG URL (so hostnames come out lower-case
// and in punycode), then: https only (http when the operator allows it), no user-info, no
// fragment, a host, and not an IP literal the network policy refuses.
import { invalidField } from './errors.ts';
import { ipLiteral, type NetworkPolicy } from './networkPolicy.ts';

export const maxUrlLength = 2048;

export interface UrlRules {
  allowHttp: boolean;
  network: NetworkPolicy;
}

/** Returns the normalised URL or throws a validation error at `path` that says which rule failed. */
export function normalizeEndpointUrl(raw: string, rules: UrlRules, path = 'url'): string {
  const fail = (message: string) => invalidField(path, message);
  if (raw.length > maxUrlLength) throw fail(`must be at most ${maxUrlLength} characters`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw fail('must be an absolute URL such as https://example.com/webhooks');
  }
  if (url.protocol !== 'https:' && !(rules.allowHttp && url.protocol === 'http:')) {
    throw fail(rules.allowHttp ? 'must use https:// or http://' : 'must use https://');
  }
  if (url.username || url.password) throw fail('must not contain a user name or password');
  if (url.hash) throw fail('must not contain a fragment (#…): it is never sent');
  if (!url.hostname) throw fail('must name a host');
  const literal = ipLiteral(url.hostname);
  const refusal = literal ? rules.network.refusal(literal) : isLocalhostName(url.hostname) ? 'loopback' : null;
  if (refusal) throw fail(`must not point at a ${refusal} address (${url.hostname})`);
  return url.href;
}

/** RFC 6761 §6.3: `localhost` and names below it always mean loopback. */
function isLocalhostName(hostname: string): boolean {
  const name = hostname.replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}
