// Clients of this document send PUT rotate-secret and DELETE without a body, some of them still
// with a Content-Type header. Within this surface an empty body is no body, whatever its declared
// type; a non-empty one must be JSON, read by the parser every surface shares.
import type { FastifyBodyParser, FastifyInstance } from 'fastify';
import { HeraldError } from '../../domain/errors.ts';
import { parseJsonBody } from '../jsonBody.ts';

export function acceptEmptyBodies(app: FastifyInstance, maxJsonDepth: number): void {
  const json: FastifyBodyParser<Buffer> = (request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    try {
      const { text, value } = parseJsonBody(body, maxJsonDepth);
      request.rawBody = text;
      done(null, value);
    } catch (error) {
      done(error as Error, undefined);
    }
  };
  const other: FastifyBodyParser<Buffer> = (_request, body, done) =>
    body.length === 0 ? done(null, undefined) : done(new HeraldError('unsupported_media_type', 'send the body as application/json'), undefined);
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, json);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, other);
}
