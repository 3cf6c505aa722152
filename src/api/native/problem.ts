// Native errors are RFC 9457 problem details: {type, title, status, detail, code, errors?}.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HeraldError } from '../../domain/errors.ts';
import { statusOf, toHeraldError } from '../errors.ts';

const titles: Record<HeraldError['code'], string> = {
  validation_failed: 'The request has invalid fields',
  malformed_request: 'The request is malformed',
  unauthenticated: 'Authentication is required',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  conflict: 'Conflict',
  payload_too_large: 'The body is too large',
  unsupported_media_type: 'Unsupported media type',
  rate_limited: 'Too many requests',
  idempotency_mismatch: 'The idempotency key was used with another request',
  idempotency_in_flight: 'A request with this idempotency key is still being processed',
  unavailable: 'Temporarily unavailable',
  internal: 'Internal server error',
};

export function problemBody(error: HeraldError) {
  return {
    type: `urn:herald:problem:${error.code}`,
    title: titles[error.code],
    status: statusOf[error.code],
    detail: error.message,
    code: error.code,
    ...(error.fieldErrors.length > 0 ? { errors: error.fieldErrors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, error: HeraldError): FastifyReply {
  if (error.code === 'unauthenticated') reply.header('www-authenticate', 'Bearer');
  return reply.code(statusOf[error.code]).type('application/problem+json').send(problemBody(error));
}

/** The error handler of the native surface (and the default for routes outside any surface). */
export function problemErrorHandler(this: FastifyInstance, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const herald = toHeraldError(error);
  if (herald.code === 'internal') request.log.error({ err: error }, 'request failed');
  return sendProblem(reply, herald);
}
