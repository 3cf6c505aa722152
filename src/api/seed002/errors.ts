// Errors of the flexEngage surface are its APIErrorResponse: {message, description, status,
// validations?}, where `message` is the upper-case reason phrase ("NOT FOUND", "CONFLICT",
// "UNPROCESSABLE ENTITY") and `validations` maps each bad field to a sentence naming it. This file
// is the only place that turns a HeraldError into that body.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HeraldError, type ErrorCode, type FieldError } from '../../domain/errors.ts';
import { statusOf, toHeraldError } from '../errors.ts';

const reasons: Partial<Record<number, string>> = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD TOO LARGE',
  415: 'UNSUPPORTED MEDIA TYPE',
  422: 'UNPROCESSABLE ENTITY',
  429: 'TOO MANY REQUESTS',
  503: 'SERVICE UNAVAILABLE',
};

/** The document has no 400: a request it cannot use is "UNPROCESSABLE ENTITY". */
const statusHere = (code: ErrorCode) => (code === 'malformed_request' ? 422 : statusOf[code]);

function validationsOf(errors: FieldError[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors) {
    const name = e.path || 'body';
    const sentence = `${name} ${e.message}`;
    out[name] = out[name] ? `${out[name]}; ${sentence}` : sentence;
  }
  return out;
}

export interface ApiErrorBody {
  message: string;
  description: string;
  status: number;
  validations?: Record<string, string>;
}

export function apiErrorBody(error: HeraldError): ApiErrorBody {
  const status = statusHere(error.code);
  if (error.code === 'internal') {
    return { message: 'Internal Server Error', description: 'The server encountered an unexpected error.', status };
  }
  const message = reasons[status] ?? 'ERROR';
  if (error.fieldErrors.length > 0) {
    return { message, description: 'There are errors in the request', status, validations: validationsOf(error.fieldErrors) };
  }
  return { message, description: error.message, status };
}

export function apiErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const herald = toHeraldError(error);
  if (herald.code === 'internal') request.log.error({ err: error }, 'request failed');
  if (herald.code === 'unauthenticated') reply.header('www-authenticate', 'Bearer');
  const body = apiErrorBody(herald);
  return reply.code(body.status).type('application/json; charset=utf-8').send(body);
}

/** Herald's names of a webhook's fields (the services speak the native API) → this document's. */
const webhookFields: Record<string, string> = { url: 'endpoint', eventTypes: 'events' };

const renamed = (path: string) => path.replace(/^[^.[]+/, (head) => webhookFields[head] ?? head);

/** Runs a call to the endpoints service; the fields of a validation error it throws take this document's names. */
export async function inWebhookTerms<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof HeraldError) || error.code !== 'validation_failed') throw error;
    throw new HeraldError(error.code, error.message, error.fieldErrors.map((e) => ({ path: renamed(e.path), message: e.message })));
  }
}

/** Runs `call`; a HeraldError with code `code` it throws becomes one with the document's description. */
export async function describing<T>(code: ErrorCode, description: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof HeraldError && error.code === code) throw new HeraldError(code, description, error.fieldErrors);
    throw error;
  }
}
