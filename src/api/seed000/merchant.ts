// Which merchant a request acts for. The document's paths carry no merchant: the API key names it.
// A partner's key acts for itself, or for one of its merchants named by the `merchantId` query
// parameter; the services then refuse (404) any merchant the key cannot reach.
import type { FastifyRequest } from 'fastify';
import { tenantOf } from '../authenticate.ts';

export function merchantOf(request: FastifyRequest): string {
  const named = (request.query as { merchantId?: string } | undefined)?.merchantId;
  return named ?? tenantOf(request);
}
