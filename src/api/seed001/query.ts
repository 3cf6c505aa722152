// Flowbrite's `q` is Herald's query language (domain/query.ts) over the same field names; only
// subscription ids differ: a client may write them as it sees them, `whs_…`, and may name the
// field after the notification's `subscription.id`. This rewrites those to Herald's endpointId
// and UUIDs; the parsed query then goes to the delivery search, keeping the positions of the
// client's own text for any error found later.
import { parseQuery, queryError, type QueryNode } from '../../domain/query.ts';
import { decodeTypedId } from '../../domain/typedIds.ts';
import { subscriptionPrefix } from './notification.ts';

const aliases: Record<string, string> = { 'subscription.id': 'endpointId' };

export function translateQuery(q: string): QueryNode | undefined {
  return q.trim() === '' ? undefined : translate(parseQuery(q));
}

function translate(node: QueryNode): QueryNode {
  if (node.kind !== 'comparison') return { kind: node.kind, children: node.children.map(translate) };
  const field = aliases[node.field] ?? node.field;
  if (field !== 'endpointId') return node;
  const values = node.values.map((value) => {
    if (!value.startsWith(`${subscriptionPrefix}_`)) return value;
    const uuid = decodeTypedId(subscriptionPrefix, value);
    if (!uuid) throw queryError(`${JSON.stringify(value)} for ${node.field} (at position ${node.position}) is not a webhook subscription id`);
    return uuid;
  });
  return { ...node, field, values };
}
