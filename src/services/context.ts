import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { NetworkPolicy } from '../domain/networkPolicy.ts';
import type { SecretBox } from '../domain/secretBox.ts';
import type { Db } from '../store/db.ts';

/** What every use case may use. Built once per process by herald.ts (or a test). */
export interface Context {
  db: Db;
  config: Config;
  box: SecretBox;
  network: NetworkPolicy;
  log: Logger;
}
