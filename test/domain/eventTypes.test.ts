import { describe, expect, it } from 'vitest';
import { eventTypeNameProblem, subscriptionCovers, subscriptionProblem, subscriptionsCover, subscriptionSetKey } from '../../src/domain/eventTypes.ts';

describe('event type names', () => {
  it.each(['payment.sent', 'NOTIFICATION.SMS.RECEIPT', 'a', 'order_created', 'v2-thing.x_y'])('accepts %s', (name) => {
    expect(eventTypeNameProblem(name)).toBeNull();
  });
  it.each(['', '.a', 'a.', 'a..b', 'a b', 'a.*', '*', 'a/b', 'é.x', 'x'.repeat(257)])('refuses %j', (name) => {
    expect(eventTypeNameProblem(name)).toMatch(/must/);
  });
});

describe('subscriptions', () => {
  it.each(['*', 'payment', 'payment.*', 'payment.sent', 'NOTIFICATION.SMS.*'])('accepts %s', (pattern) => {
    expect(subscriptionProblem(pattern)).toBeNull();
  });
  it.each(['**', 'payment.**', '*.sent', 'pay*', 'payment.*.sent', '', '.*'])('refuses %j', (pattern) => {
    expect(subscriptionProblem(pattern)).not.toBeNull();
  });
});

describe('subscriptionCovers', () => {
  const cases: [string, string, boolean][] = [
    ['*', 'payment.sent', true],
    ['*', 'a', true],
    ['payment.sent', 'payment.sent', true],
    ['payment.sent', 'payment.sent.late', true], // below an exact name
    ['payment.sent', 'payment.sentx', false], // not a segment boundary
    ['payment.sent', 'payment', false], // above
    ['payment', 'payment', true],
    ['payment', 'payment.sent', true],
    ['payment', 'payment.sent.late', true],
    ['payment', 'payments.sent', false],
    ['payment', 'paymen', false],
    ['payment.*', 'payment.sent', true],
    ['payment.*', 'payment.sent.late', true],
    ['payment.*', 'payment', false], // the wildcard means "below", not the prefix itself
    ['payment.*', 'payments.sent', false],
    ['NOTIFICATION', 'NOTIFICATION.SMS.RECEIPT', true],
    ['NOTIFICATION.*', 'NOTIFICATION.SMS.RECEIPT', true],
    ['notification', 'NOTIFICATION.SMS.RECEIPT', false], // case-sensitive
    ['NOTIFICATION.SMS.RECEIPT', 'NOTIFICATION.SMS', false],
  ];
  it.each(cases)('%s covers %s: %s', (pattern, type, expected) => {
    expect(subscriptionCovers(pattern, type)).toBe(expected);
  });

  it('any of several subscriptions is enough', () => {
    expect(subscriptionsCover(['order.created', 'payment.*'], 'payment.failed')).toBe(true);
    expect(subscriptionsCover(['order.created', 'payment.*'], 'refund.issued')).toBe(false);
    expect(subscriptionsCover([], 'refund.issued')).toBe(false);
  });
});

describe('subscriptionSetKey', () => {
  it('ignores order and repeats', () => {
    expect(subscriptionSetKey(['b', 'a', 'b'])).toBe(subscriptionSetKey(['a', 'b']));
    expect(subscriptionSetKey(['a'])).not.toBe(subscriptionSetKey(['a', 'b']));
  });
});
