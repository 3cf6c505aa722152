// Exporting deliveries as CSV, JSON or NDJSON, streamed: rows are read in keyset-paged chunks and
// turned into text chunk by chunk, so memory stays constant whatever the number of rows.
import type { Actor } from '../domain/types.ts';
import type { Delivery } from '../store/deliveryLog.ts';
import { scanDeliveries } from '../store/deliverySearch.ts';
import type { Context } from './context.ts';
import { deliverySearch, type DeliverySearchQuery } from './deliveries.ts';

export const exportFormats = ['csv', 'json', 'ndjson'] as const;
export type ExportFormat = (typeof exportFormats)[number];

export const exportColumns = [
  'id', 'eventId', 'eventType', 'endpointId', 'environment', 'status', 'attemptCount', 'createdAt', 'lastAttemptAt',
  'lastOutcome', 'lastStatusCode', 'lastError', 'succeededAt', 'nextAttemptAt', 'clonedFrom',
] as const;

export const contentTypes: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

function exportRow(d: Delivery): Record<(typeof exportColumns)[number], string | number | null> {
  const iso = (t: Date | null) => t?.toISOString() ?? null;
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    endpointId: d.endpointId,
    environment: d.environment,
    status: d.status,
    attemptCount: d.attemptCount,
    createdAt: iso(d.createdAt),
    lastAttemptAt: iso(d.lastAttemptAt),
    lastOutcome: d.lastOutcome,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    succeededAt: iso(d.succeededAt),
    nextAttemptAt: iso(d.nextAttemptAt),
    clonedFrom: d.clonedFrom,
  };
}

/**
 * RFC 4180 quoting, and a leading apostrophe for text a spreadsheet would run as a formula
 * (OWASP "CSV injection"): error messages come from receivers and are not to be trusted.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export type ExportColumn = (typeof exportColumns)[number];

/** `columnNames` renames columns (CSV header, JSON keys) for surfaces that name fields otherwise. */
export async function* exportDeliveries(
  ctx: Context,
  actor: Actor,
  tenantId: string,
  query: DeliverySearchQuery,
  format: ExportFormat,
  columnNames: Partial<Record<ExportColumn, string>> = {},
): AsyncGenerator<string> {
  const search = await deliverySearch(ctx, actor, tenantId, query);
  const names = exportColumns.map((c) => columnNames[c] ?? c);
  const renamed = (r: ReturnType<typeof exportRow>) => Object.fromEntries(exportColumns.map((c, i) => [names[i], r[c]]));
  // The first rows are read before the first text is given out: what only the query finds wrong (a
  // field of q unknown, a value of the wrong type) must fail the request, not cut the stream short.
  const scan = scanDeliveries(ctx.db, search);
  const head = await scan.next();
  if (format === 'csv') yield `${names.join(',')}\r\n`;
  if (format === 'json') yield '[';
  let first = true;
  for (let next = head; !next.done; next = await scan.next()) {
    const chunk = next.value;
    const rows = chunk.map((d) => renamed(exportRow(d)));
    if (format === 'csv') yield rows.map((r) => names.map((c) => csvField(r[c] ?? null)).join(',')).join('\r\n') + '\r\n';
    else if (format === 'ndjson') yield rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    else {
      yield (first ? '' : ',') + rows.map((r) => JSON.stringify(r)).join(',');
      first = false;
    }
  }
  if (format === 'json') yield ']\n';
}
