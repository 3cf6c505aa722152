import { expect, it } from 'vitest';
import * as store from '../../src/store/eventTypes.ts';
import { describeEachDriver } from '../support/databases.ts';

describeEachDriver('store: event types', (db) => {
  it('creates an event type, then replaces it, telling which happened', async () => {
    const schema = { type: 'object', properties: { amount: { type: 'integer' } }, required: ['amount'] };
    const created = await store.upsertEventType(db(), { name: 'payment.sent', description: 'Sent', schema, deprecated: false });
    expect(created.created).toBe(true);
    expect(created.eventType).toMatchObject({ name: 'payment.sent', description: 'Sent', schema, deprecated: false });

    const replaced = await store.upsertEventType(db(), { name: 'payment.sent', description: 'Sent!', schema: null, deprecated: true });
    expect(replaced.created).toBe(false);
    expect(replaced.eventType).toMatchObject({ name: 'payment.sent', description: 'Sent!', schema: null, deprecated: true });
    expect(replaced.eventType.createdAt.getTime()).toBe(created.eventType.createdAt.getTime());
    expect(await store.getEventType(db(), 'payment.sent')).toEqual(replaced.eventType);
  });

  it('answers null for an unknown name and false when deleting it', async () => {
    expect(await store.getEventType(db(), 'no.such.type')).toBeNull();
    expect(await store.deleteEventType(db(), 'no.such.type')).toBe(false);
  });

  it('deletes an event type', async () => {
    await store.upsertEventType(db(), { name: 'to.delete', description: '', schema: null, deprecated: false });
    expect(await store.deleteEventType(db(), 'to.delete')).toBe(true);
    expect(await store.getEventType(db(), 'to.delete')).toBeNull();
  });

  it('lists in name order, limit + 1 rows, after a name, with or without deprecated types', async () => {
    for (const [name, deprecated] of [['list.c', false], ['list.a', false], ['list.b', true], ['list.d', false]] as const) {
      await store.upsertEventType(db(), { name, description: '', schema: null, deprecated });
    }
    const names = async (after: string | undefined, limit: number, includeDeprecated?: boolean) =>
      (await store.listEventTypes(db(), after, limit, includeDeprecated)).map((t) => t.name).filter((n) => n.startsWith('list.'));
    expect(await names('list', 2)).toEqual(['list.a', 'list.b', 'list.c']);
    expect(await names('list.b', 10)).toEqual(['list.c', 'list.d']);
    expect(await names('list', 10, false)).toEqual(['list.a', 'list.c', 'list.d']);
  });
});
