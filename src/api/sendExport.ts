import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { contentTypes, type ExportFormat } from '../services/export.ts';

/**
 * Streams an export as an attachment. The first chunk is read before answering, so a request the
 * services refuse (a bad filter) is still a clean error answer rather than a cut stream.
 */
export async function sendExport(reply: FastifyReply, chunks: AsyncGenerator<string>, format: ExportFormat, name: string): Promise<FastifyReply> {
  const first = await chunks.next();
  const stream = Readable.from((async function* () {
    if (!first.done) yield first.value;
    yield* chunks;
  })());
  return reply.type(contentTypes[format]).header('content-disposition', `attachment; filename="${name}.${format}"`).send(stream);
}
