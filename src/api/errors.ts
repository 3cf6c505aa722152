// Turns anything a route can throw — a domain error, a schema-validation failure, a body-parser
// error, a rate-limit refusal — into a HeraldError. Each API surface then renders HeraldErrors in
// its own documented format (native: api/native/problem.ts).
import type { FastifyError } from 'fastify';
import { HeraldError } from '../domain/errors.ts';
import { fieldErrorsFromAjv, type AjvError } from '../domain/schemaErrors.ts';

const nulRefused = new Set(['22021', '22P05']);

const partNames: Record<string, string> = { body: 'body', querystring: 'query parameter', params: 'path parameter', headers: 'header' };

export function toHeraldError(error: unknown): HeraldError {
  if (error instanceof HeraldError) return error;
  const e = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (e.validation) {
    const fields = fieldErrorsFromAjv(e.validation);
    const where = partNames[e.validationContext ?? 'body'] ?? 'request';
    const summary = fields.map((f) => `${f.path || where} ${f.message}`).join('; ');
    return new HeraldError(e.validationContext === 'body' ? 'validation_failed' : 'malformed_request', summary, fields);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HeraldError('payload_too_large', 'the request body is larger than this server accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HeraldError('unsupported_media_type', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HeraldError('malformed_request', 'the body is empty: send a JSON document');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HeraldError('malformed_request', 'the Content-Length header does not match the body');
  }
  // PostgreSQL cannot store a NUL character, in text (22021) or in jsonb (22P05). Valid JSON may
  // carry one ("\u0000"), so the database is what finds it.
  if (nulRefused.has(e.code)) return new HeraldError('malformed_request', 'a text value contains a NUL character (\\u0000), which cannot be stored');
  if (e.statusCode === 429) return new HeraldError('rate_limited', e.message);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new HeraldError('malformed_request', e.message);
  return new HeraldError('internal', 'the server met an unexpected error');
}

/** The HTTP status of each error code, shared by every surface unless a surface's document says otherwise. */
export const statusOf: Record<HeraldError['code'], number> = {
  validation_failed: 422,
  malformed_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  idempotency_mismatch: 422,
  idempotency_in_flight: 409,
  unavailable: 503,
  internal: 500,
};
