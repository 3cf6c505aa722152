// Errors of the accounts API (seed 004). Its document lists error codes per operation (400
// `id_invalid`, …, 401, 404, 429) but shows no body, so answers take the usual shape of such code
// lists: {"error": {"code": "url_invalid", "message": "…"}}. Every 400 names the field at fault:
//   url_invalid     — url missing, not matching the documented regular expression, or refused by
//                     Herald's URL rules (private address, user-info, fragment, …)
//   id_invalid      — an entry of account_ids (an account's identifier) is empty or too long
//   enabled_invalid — enabled is not a boolean
//   request_invalid — anything else: not a JSON object, an unknown field, a bad query parameter
// Other statuses: 401 unauthorized, 403 forbidden (the key lacks a permission), 404 not_found,
// 409 conflict (a webhook with this url already exists), 413 payload_too_large, 415
// unsupported_media_type, 429 rate_limit_exceeded, 500 internal_error, 503 service_unavailable.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ErrorCode, FieldError, HeraldError } from '../../domain/errors.ts';
import { statusOf, toHeraldError } from '../errors.ts';

export const AccountsError = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'url_invalid, id_invalid, enabled_invalid, request_invalid, unauthorized, forbidden, not_found, conflict, rate_limit_exceeded, …' }),
      message: Type.String(),
    }),
  },
  { $id: 'AccountsError', description: 'Accounts API (seed 004) error' },
);

/** Error answers every route may give, in the OpenAPI document. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries([401, 403, 404, 429, ...statuses].map((s) => [s, Type.Ref('AccountsError')]));
}

const codes: Record<ErrorCode, string> = {
  validation_failed: 'request_invalid',
  malformed_request: 'request_invalid',
  unauthenticated: 'unauthorized',
  forbidden: 'forbidden',
  not_found: 'not_found',
  conflict: 'conflict',
  payload_too_large: 'payload_too_large',
  unsupported_media_type: 'unsupported_media_type',
  rate_limited: 'rate_limit_exceeded',
  idempotency_mismatch: 'request_invalid',
  idempotency_in_flight: 'conflict',
  unavailable: 'service_unavailable',
  internal: 'internal_error',
};

const fieldCodes: Record<string, string> = { url: 'url_invalid', account_ids: 'id_invalid', enabled: 'enabled_invalid' };

/** Herald's field names in this document's words (the services say accountIds). */
const inDocumentWords = (text: string) => text.replace(/\baccountIds\b/g, 'account_ids');
const fieldOf = (e: FieldError) => /^[A-Za-z_]*/.exec(inDocumentWords(e.path))![0];

export function accountsError(error: HeraldError): { status: number; body: { error: { code: string; message: string } } } {
  const invalid = error.code === 'validation_failed' || error.code === 'malformed_request';
  const fieldCode = error.fieldErrors.map((e) => fieldCodes[fieldOf(e)]).find((c) => c !== undefined);
  const code = (invalid && fieldCode) || codes[error.code];
  return { status: invalid ? 400 : statusOf[error.code], body: { error: { code, message: inDocumentWords(error.message) } } };
}

export function accountsErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const herald = toHeraldError(error);
  if (herald.code === 'internal') request.log.error({ err: error }, 'request failed');
  const { status, body } = accountsError(herald);
  return reply.code(status).type('application/json').send(body);
}
