// Errors of the Flute v2 surface: `{"errors": [{"code", "message", "field"?}]}` as application/json,
// one entry per invalid field (or one entry for the whole request). Codes are Herald's stable
// error codes; statuses are the shared ones of api/errors.ts. Field paths use this surface's
// names (`endpointUrl`, `webhookId`), not the native ones.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HeraldError } from '../../domain/errors.ts';
import { statusOf, toHeraldError } from '../errors.ts';

const fieldNames: Record<string, string> = { url: 'endpointUrl', endpointId: 'webhookId' };

/** Renames the first segment of a native field path (`url`, `endpointId[0]`) to this surface's name. */
export function fluteField(path: string): string {
  const match = /^([^.[]+)(.*)$/.exec(path);
  return match ? (fieldNames[match[1]!] ?? match[1]!) + match[2]! : path;
}

/** `nativeNames`: the error comes from a service, whose field paths use native names. */
export function fluteErrorBody(error: HeraldError, nativeNames = false) {
  if (error.fieldErrors.length === 0) return { errors: [{ code: error.code, message: error.message }] };
  const field = (path: string) => (nativeNames ? fluteField(path) : path);
  return {
    errors: error.fieldErrors.map((e) => ({ code: error.code, message: e.message, ...(e.path ? { field: field(e.path) } : {}) })),
  };
}

export function sendFluteError(reply: FastifyReply, error: HeraldError, nativeNames = false): FastifyReply {
  if (error.code === 'unauthenticated') reply.header('www-authenticate', 'Bearer');
  return reply.code(statusOf[error.code]).type('application/json; charset=utf-8').send(fluteErrorBody(error, nativeNames));
}

export function fluteErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const herald = toHeraldError(error);
  if (herald.code === 'internal') request.log.error({ err: error }, 'request failed');
  // Schema validation already names this surface's fields; services name native ones.
  return sendFluteError(reply, herald, error instanceof HeraldError);
}
