// The JSON body parser every surface shares. It keeps the raw text (request.rawBody) so that a
// published payload reaches receivers byte for byte, and refuses invalid UTF-8 and JSON nested
// deeper than the configured limit before parsing.
import type { FastifyBodyParser, FastifyInstance } from 'fastify';
import { HeraldError } from '../domain/errors.ts';
import { jsonDepth } from '../domain/json.ts';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseJsonBody(body: Buffer, maxDepth: number): { text: string; value: unknown } {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new HeraldError('malformed_request', 'the body is not valid UTF-8');
  }
  if (jsonDepth(text) > maxDepth) throw new HeraldError('malformed_request', `the JSON body is nested deeper than ${maxDepth} levels`);
  try {
    return { text, value: JSON.parse(text) };
  } catch (error) {
    throw new HeraldError('malformed_request', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

export function registerJsonParser(app: FastifyInstance, maxDepth: number): void {
  // Fastify also parses text/plain by default; without that parser such a body is a clear 415.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  const parser: FastifyBodyParser<Buffer> = (request, body, done) => {
    try {
      const { text, value } = parseJsonBody(body, maxDepth);
      request.rawBody = text;
      done(null, value);
    } catch (error) {
      done(error as Error, undefined);
    }
  };
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parser);
  app.addContentTypeParser(/^application\/[\w.-]+\+json$/, { parseAs: 'buffer' }, parser);
}
