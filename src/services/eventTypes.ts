import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { decodeCursor, toPage, type Page } from '../domain/cursor.ts';
import { FieldErrors, notFound } from '../domain/errors.ts';
import { assertEventTypeName } from '../domain/eventTypes.ts';
import { fieldErrorsFromAjv } from '../domain/schemaErrors.ts';
import type { Actor, EventType } from '../domain/types.ts';
import * as store from '../store/eventTypes.ts';
import { requireOperator } from './access.ts';
import type { Context } from './context.ts';

// Event-type schemas are JSON Schema draft 2020-12, checked when stored so that a broken schema is
// refused at once rather than failing every later publish.
const ajv = new Ajv2020({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);

export function schemaProblems(schema: Record<string, unknown>): { path: string; message: string }[] {
  if (!ajv.validateSchema(schema)) {
    return fieldErrorsFromAjv(ajv.errors ?? [], 'schema');
  }
  try {
    ajv.compile(schema);
    ajv.removeSchema(schema);
    return [];
  } catch (error) {
    return [{ path: 'schema', message: `is not usable: ${(error as Error).message}` }];
  }
}

export interface EventTypeInput {
  description?: string;
  schema?: Record<string, unknown> | null;
  deprecated?: boolean;
}

export async function putEventType(ctx: Context, actor: Actor, name: string, input: EventTypeInput): Promise<{ eventType: EventType; created: boolean }> {
  requireOperator(actor);
  const errors = new FieldErrors();
  errors.collect('', () => assertEventTypeName(name));
  if (input.schema) for (const problem of schemaProblems(input.schema)) errors.add(problem.path, problem.message);
  errors.throwIfAny();
  const saved = await store.upsertEventType(ctx.db, {
    name,
    description: input.description ?? '',
    schema: input.schema ?? null,
    deprecated: input.deprecated ?? false,
  });
  ctx.catalog.forget(name);
  return saved;
}

/** Any authenticated caller may read the catalog: tenants need it to choose subscriptions. */
export async function getEventType(ctx: Context, name: string): Promise<EventType> {
  const eventType = await store.getEventType(ctx.db, name);
  if (!eventType) throw notFound('event type', name);
  return eventType;
}

export async function listEventTypes(ctx: Context, query: { limit: number; cursor?: string; includeDeprecated?: boolean }): Promise<Page<EventType>> {
  const after = query.cursor ? String(decodeCursor(query.cursor, ['string'])[0]) : undefined;
  const rows = await store.listEventTypes(ctx.db, after, query.limit, query.includeDeprecated ?? true);
  return toPage(rows, query.limit, (t) => [t.name]);
}

export async function deleteEventType(ctx: Context, actor: Actor, name: string): Promise<void> {
  requireOperator(actor);
  if (!(await store.deleteEventType(ctx.db, name))) throw notFound('event type', name);
  ctx.catalog.forget(name);
}
