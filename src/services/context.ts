import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Sender } from '../delivery/httpSender.ts';
import type { NetworkPolicy } from '../domain/networkPolicy.ts';
import type { SecretBox } from '../domain/secretBox.ts';
import type { Db } from '../store/db.ts';
import type { DeliverySignal } from '../store/deliverySignal.ts';
import type { EventTypeCatalog } from './catalog.ts';

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
}
