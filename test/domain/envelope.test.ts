import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { buildEnvelope } from '../../src/domain/envelope.ts';
import { generateEndpointSecret, secretKey } from '../../src/domain/secrets.ts';
import { signatureHeader } from '../../src/domain/signature.ts';

const fields = {
  eventId: '01961f2e-8a3b-7c4d-9e5f-0a1b2c3d4e5f',
  type: 'payment.sent',
  createdAt: new Date('2026-05-01T10:00:00.123Z'),
  tenantId: 'acme',
  endpointId: '01961f2e-0000-7000-8000-000000000001',
  attemptId: '01961f2e-0000-7000-8000-000000000002',
  accountId: null,
  payload: '{"z":1,"a":1e400,"a":"dup"}',
};

describe('envelope', () => {
  it('has the flexEngage fields and the raw data', () => {
    const body = buildEnvelope(fields);
    expect(body).toBe(
      '{"id":"01961f2e-8a3b-7c4d-9e5f-0a1b2c3d4e5f","type":"payment.sent","timestamp":"2026-05-01T10:00:00.123Z","created":"2026-05-01T10:00:00.123Z",' +
        '"brandId":"acme","webhookId":"01961f2e-0000-7000-8000-000000000001","attemptId":"01961f2e-0000-7000-8000-000000000002",' +
        '"data":{"z":1,"a":1e400,"a":"dup"}}',
    );
  });

  it('carries accountId when the event has one, and escapes strings', () => {
    const body = buildEnvelope({ ...fields, accountId: 'acc "1"', tenantId: 'a\\b' });
    expect(JSON.parse(body.replace('1e400', '1'))).toMatchObject({ accountId: 'acc "1"', brandId: 'a\\b' });
  });
});

describe('signature', () => {
  it('verifies with the standardwebhooks package', () => {
    const secret = generateEndpointSecret();
    const body = buildEnvelope({ ...fields, payload: '{"x":1}' });
    const ts = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': fields.eventId, 'webhook-timestamp': String(ts), 'webhook-signature': signatureHeader(fields.eventId, ts, body, [secretKey(secret)]) };
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ id: fields.eventId });
  });

  it('signs with every given secret so either verifies during a rotation', () => {
    const [oldSecret, newSecret] = [generateEndpointSecret(), generateEndpointSecret()];
    const body = '{"x":1}';
    const ts = Math.floor(Date.now() / 1000);
    const header = signatureHeader('msg', ts, body, [secretKey(newSecret), secretKey(oldSecret)]);
    expect(header.split(' ')).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) {
      expect(new Webhook(secret).verify(body, { 'webhook-id': 'msg', 'webhook-timestamp': String(ts), 'webhook-signature': header })).toEqual({ x: 1 });
    }
    expect(() => new Webhook(generateEndpointSecret()).verify(body, { 'webhook-id': 'msg', 'webhook-timestamp': String(ts), 'webhook-signature': header })).toThrow();
  });
});
