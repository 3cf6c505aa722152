// Herald's endpoint as the accounts API's webhook (seed 004): snake_case, `account_type` from the
// endpoint's environment, and the secret in full only when it has just been made.
import { Type } from 'typebox';
import type { Endpoint } from '../../domain/types.ts';

/** The document's URL rule, verbatim; Herald's own URL rules apply as well. */
export const webhookUrlPattern = '^https:\\/\\/[-a-zA-Z0-9@:%._\\+~#=]{2,256}\\.[a-z]{2,6}\\b([-a-zA-Z0-9@:%_\\+.~#?&\\/\\/=]*)$';

export const WebhookUrl = Type.String({
  maxLength: 2048,
  pattern: webhookUrlPattern,
  description: 'An HTTPS URL. The URL must match the following regular expression: ' + webhookUrlPattern,
  examples: ['https://example.com/webhooks'],
});

const accountIds = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 256, description: "An account's unique identifier" }), { maxItems: 1000, description });

export const CreateWebhook = Type.Object(
  {
    url: WebhookUrl,
    account_ids: Type.Optional(accountIds(
      "The created webhook will exclusively push events which belong to the given account identifiers. If not set (or empty), events of all the organisation's accounts are pushed.",
    )),
    enabled: Type.Optional(Type.Boolean({ description: 'Defaults to true.' })),
  },
  { additionalProperties: false },
);

export const UpdateWebhook = Type.Object(
  {
    url: WebhookUrl,
    enabled: Type.Optional(Type.Boolean({ description: 'When not given, the existing value is kept.' })),
    account_ids: Type.Optional(accountIds(
      'If not set, the previous account identifiers filter remains unchanged; an empty array removes the filter (all accounts).',
    )),
  },
  { additionalProperties: false },
);

export const Webhook = Type.Object({
  id: Type.String({ description: "The webhook's unique identifier" }),
  url: Type.String({ description: 'An HTTPS URL.' }),
  enabled: Type.Boolean({ description: 'Determines if events should be sent to the webhook or not.' }),
  account_type: Type.Unsafe<'live' | 'test'>({ type: 'string', enum: ['live', 'test'], description: "The account's type: the environment of the API key that manages the webhook." }),
  account_ids: Type.Optional(Type.Array(Type.String(), { description: 'Absent when the webhook pushes events of every account.' })),
  created_at: Type.String({ format: 'date-time' }),
  secret: Type.String({ description: 'The secret key used to generate the webhook payload HMAC: in full on create and rotate-secret, otherwise its last 4 characters.' }),
});

export function toWebhook(endpoint: Endpoint, secret: string, show: 'full' | 'last4') {
  return {
    id: endpoint.id,
    url: endpoint.url,
    enabled: endpoint.enabled,
    account_type: endpoint.environment,
    ...(endpoint.accountIds ? { account_ids: endpoint.accountIds } : {}),
    created_at: endpoint.createdAt.toISOString(),
    secret: show === 'full' ? secret : secret.slice(-4),
  };
}
