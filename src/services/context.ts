import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Sender } from '../delivery/httpSender.ts';
import type { NetworkPolicy } from '../domain/networkPolicy.ts';
import type { TtlCache } from '../domain/ttlCache.ts';
import type { Actor, Tenant } from '../domain/types.ts';
import type { SecretBox } from '../domain/secretBox.ts';
import type { Db } from '../store/db.ts';
import type { DeliverySignal } from '../store/deliverySignal.ts';
import type { EventTypeCatalog } from './catalog.ts';
import type { GroupCommit } from './groupCommit.ts';

/** What every use case may use. Built once per process by herald.ts (or a test). */
export interface Context {
  db: Db;
  config: Config;
  box: SecretBox;
  network: NetworkPolicy;
  log: Logger;
  /** Wakes delivery workers (in this process and, on PostgreSQL, in others). */
  signal: DeliverySignal;
  catalog: EventTypeCatalog;
  /** Sends webhook requests (SSRF-guarded, keep-alive pools). */
  sender: Sender;
  /**
   * Short-lived caches of what every request reads (who a key is, a tenant's parent), so the hot
   * path does not query them each time. Changes made in this process clear them at once; changes
   * made by another process are seen within their TTL (5 s).
   */
  caches: { actors: TtlCache<Actor>; tenants: TtlCache<Tenant> };
  /** Writes publishes without an idempotency key, several at once (group commit). */
  publisher: GroupCommit;
}
