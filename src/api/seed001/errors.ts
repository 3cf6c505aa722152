// Flowbrite's document shows no error body, so this surface answers in the plain JSON style its
// answers use: {"error": {"code", "message", "details"?: [{"field", "message"}]}}, where `code` is
// Herald's stable error code (not_found, malformed_request, unauthenticated, rate_limited, …) and
// the HTTP status is the one every surface shares (api/errors.ts).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { HeraldError } from '../../domain/errors.ts';
import { statusOf, toHeraldError } from '../errors.ts';

export const FlowbriteError = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: "Herald's stable error code, e.g. not_found, malformed_request, unauthenticated, rate_limited." }),
      message: Type.String(),
      details: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    }),
  },
  { $id: 'FlowbriteError', description: 'Flowbrite (seed 001) error' },
);

/** Error answers every route may give, in the OpenAPI document. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries([401, 403, 404, 429, ...statuses].map((s) => [s, Type.Ref('FlowbriteError')]));
}

export function flowbriteErrorBody(error: HeraldError) {
  const details = error.fieldErrors.map((e) => ({ field: e.path, message: e.message }));
  return { error: { code: error.code, message: error.message, ...(details.length > 0 ? { details } : {}) } };
}

export function flowbriteErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const herald = toHeraldError(error);
  if (herald.code === 'internal') request.log.error({ err: error }, 'request failed');
  return reply.code(statusOf[herald.code]).type('application/json').send(flowbriteErrorBody(herald));
}
