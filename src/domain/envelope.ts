// The body of every delivery (flexEngage guide, seed 003, plus Standard Webhooks' `timestamp`):
//   {"id","type","timestamp","created","brandId","webhookId","attemptId","accountId"?,"data"}
// `data` is the published payload spliced in as the raw text received, so duplicate keys, key
// order and number spellings such as 1e400 reach the receiver byte for byte.

export interface EnvelopeFields extends EventEnvelopeFields {
  endpointId: string;
  attemptId: string;
}

/** What the envelopes of one event share, whichever endpoint and attempt they are for. */
export interface EventEnvelopeFields {
  eventId: string;
  type: string;
  createdAt: Date;
  tenantId: string;
  accountId: string | null;
  /** The raw JSON text of the event's data. */
  payload: string;
}

/** The text before and after an envelope's endpoint and attempt ids: the same for every delivery of an event. */
export interface EventEnvelope {
  head: string;
  tail: string;
}

export function eventEnvelope(f: EventEnvelopeFields): EventEnvelope {
  const created = JSON.stringify(f.createdAt.toISOString());
  return {
    head: `{"id":${JSON.stringify(f.eventId)},"type":${JSON.stringify(f.type)},"timestamp":${created},"created":${created},"brandId":${JSON.stringify(f.tenantId)},`,
    tail: `${f.accountId === null ? '' : `"accountId":${JSON.stringify(f.accountId)},`}"data":${f.payload}}`,
  };
}

export function envelopeFor(event: EventEnvelope, endpointId: string, attemptId: string): string {
  return `${event.head}"webhookId":${JSON.stringify(endpointId)},"attemptId":${JSON.stringify(attemptId)},${event.tail}`;
}

export function buildEnvelope(f: EnvelopeFields): string {
  return envelopeFor(eventEnvelope(f), f.endpointId, f.attemptId);
}
