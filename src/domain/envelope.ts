// The body of every delivery (flexEngage guide, seed 003, plus Standard Webhooks' `timestamp`):
//   {"id","type","timestamp","created","brandId","webhookId","attemptId","accountId"?,"data"}
// `data` is the published payload spliced in as the raw text received, so duplicate keys, key
// order and number spellings such as 1e400 reach the receiver byte for byte.

export interface EnvelopeFields {
  eventId: string;
  type: string;
  createdAt: Date;
  tenantId: string;
  endpointId: string;
  attemptId: string;
  accountId: string | null;
  /** The raw JSON text of the event's data. */
  payload: string;
}

export function buildEnvelope(f: EnvelopeFields): string {
  const created = JSON.stringify(f.createdAt.toISOString());
  return (
    `{"id":${JSON.stringify(f.eventId)},"type":${JSON.stringify(f.type)},"timestamp":${created},"created":${created},` +
    `"brandId":${JSON.stringify(f.tenantId)},"webhookId":${JSON.stringify(f.endpointId)},"attemptId":${JSON.stringify(f.attemptId)},` +
    (f.accountId === null ? '' : `"accountId":${JSON.stringify(f.accountId)},`) +
    `"data":${f.payload}}`
  );
}
