// Event-type names and subscriptions. A name is dotted and hierarchical (`payment.sent`,
// `NOTIFICATION.SMS.RECEIPT`). A subscription is a name, a name followed by `.*`, or `*`:
//   `payment.sent`  covers `payment.sent` and everything below it (`payment.sent.late`)
//   `payment`       covers `payment` and everything below it
//   `payment.*`     covers everything below `payment`, not `payment` itself
//   `*`             covers every type
// Matching is by whole segments and case-sensitive: `payment` does not cover `payments.sent`.
import { invalidField } from './errors.ts';

const segment = '[A-Za-z0-9_-]+';
const namePattern = new RegExp(`^${segment}(\\.${segment})*$`);
export const maxEventTypeLength = 256;

export function eventTypeNameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (name.length > maxEventTypeLength) return `must be at most ${maxEventTypeLength} characters`;
  if (!namePattern.test(name)) {
    return 'must be dot-separated segments of letters, digits, "_" or "-" (e.g. payment.sent)';
  }
  return null;
}

export function assertEventTypeName(name: string, path = 'name'): void {
  const problem = eventTypeNameProblem(name);
  if (problem) throw invalidField(path, `${JSON.stringify(name)} ${problem}`);
}

export function subscriptionProblem(pattern: string): string | null {
  if (pattern === '*') return null;
  const base = pattern.endsWith('.*') ? pattern.slice(0, -2) : pattern;
  const problem = eventTypeNameProblem(base);
  return problem && `is not an event type, a prefix followed by ".*", or "*": it ${problem}`;
}

/** Whether one subscription pattern covers `type`. */
export function subscriptionCovers(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1)); // keeps the dot: a segment boundary
  return type === pattern || (type.startsWith(pattern) && type.charCodeAt(pattern.length) === 46 /* . */);
}

/** Whether any of an endpoint's subscriptions covers `type`. */
export function subscriptionsCover(patterns: readonly string[], type: string): boolean {
  return patterns.some((pattern) => subscriptionCovers(pattern, type));
}

/** The order-independent identity of a subscription set, used for the duplicate-endpoint rule. */
export function subscriptionSetKey(patterns: readonly string[]): string {
  return [...new Set(patterns)].sort().join(' ');
}
