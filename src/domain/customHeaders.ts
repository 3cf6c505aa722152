// Headers an endpoint asks Herald to add to every request. They cannot smuggle a second header
// (no CR/LF/NUL) and cannot override what Herald itself must control: the target host, framing,
// the content type and the Standard Webhooks headers.
import { FieldErrors } from './errors.ts';

export const maxCustomHeaders = 20;
const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 9110 §5.6.2 token
const reserved = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'proxy-connection']);

export function validateCustomHeaders(headers: Record<string, unknown>, path = 'headers'): Record<string, string> {
  const errors = new FieldErrors();
  const entries = Object.entries(headers);
  if (entries.length > maxCustomHeaders) errors.add(path, `must have at most ${maxCustomHeaders} headers`);
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    const at = `${path}.${name}`;
    const lower = name.toLowerCase();
    if (!tokenPattern.test(name)) errors.add(at, 'is not a valid header name');
    else if (reserved.has(lower) || lower.startsWith('webhook-')) errors.add(at, `cannot be set: Herald controls ${name}`);
    else if (seen.has(lower)) errors.add(at, 'is given twice (header names are case-insensitive)');
    seen.add(lower);
    if (typeof value !== 'string') errors.add(at, 'must be a string');
    else if (/[\r\n\0]/.test(value)) errors.add(at, 'must not contain CR, LF or NUL characters');
    else if (value.length > 4096) errors.add(at, 'must be at most 4096 characters');
  }
  errors.throwIfAny();
  return headers as Record<string, string>;
}
