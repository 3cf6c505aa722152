// The event-type catalog as publishing sees it: each type with its compiled schema validator,
// cached for a few seconds so the hot path does not read the catalog on every publish. Changes
// made in this process are seen at once; changes made by another process within `ttlMs`.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { EventType } from '../domain/types.ts';
import type { Db } from '../store/db.ts';
import { getEventType } from '../store/eventTypes.ts';

export interface CatalogEntry {
  eventType: EventType;
  validate: ValidateFunction | null;
}

export class EventTypeCatalog {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false });
  private readonly entries = new Map<string, { entry: CatalogEntry | null; loadedAt: number }>();

  constructor(private readonly db: Db, private readonly ttlMs = 5_000) {
    (addFormats as unknown as (a: Ajv2020) => void)(this.ajv);
  }

  /** The entry for `name`, or null when no such type is catalogued. */
  async lookup(name: string): Promise<CatalogEntry | null> {
    const cached = this.entries.get(name);
    if (cached && Date.now() - cached.loadedAt < this.ttlMs) return cached.entry;
    const eventType = await getEventType(this.db, name);
    const entry = eventType && { eventType, validate: eventType.schema ? this.ajv.compile(eventType.schema) : null };
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(name, { entry, loadedAt: Date.now() });
    return entry;
  }

  forget(name: string): void {
    this.entries.delete(name);
  }
}
