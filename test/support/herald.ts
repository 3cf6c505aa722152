// A Herald app on a fresh database, driven in memory with inject(), plus shortcuts for the
// objects most tests need (tenants, keys).
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { Environment, Permission } from '../../src/domain/types.ts';
import { openContext } from '../../src/herald.ts';
import type { Context } from '../../src/services/context.ts';
import { drivers, freshDb, type Driver } from './databases.ts';

export const adminToken = 'test-operator-token-0123456789';

export interface TestHerald {
  ctx: Context;
  app: FastifyInstance;
  /** Headers that authenticate as the operator. */
  operator: Record<string, string>;
  /** inject() with JSON bodies; `as` is a token (default: the operator's). */
  request(options: InjectOptions & { as?: string }): Promise<LightMyRequestResponse>;
  createTenant(input?: { id?: string; name?: string; parentId?: string }): Promise<string>;
  /** Creates an API key and returns the key itself. */
  createKey(tenantId: string, options?: { permissions?: Permission[]; environment?: Environment }): Promise<string>;
  close(): Promise<void>;
}

export async function testHerald(options: { driver?: Driver; config?: Partial<Config> } = {}): Promise<TestHerald> {
  const testDb = await freshDb(options.driver ?? 'pglite');
  const config = loadConfig({}, {
    adminToken,
    logLevel: 'silent',
    dataDir: mkdtempSync(path.join(tmpdir(), 'herald-test-')),
    encryptionKey: randomBytes(32),
    rateLimitPerSecond: 0,
    ...options.config,
  });
  const ctx = await openContext(config, pino({ level: 'silent' }), testDb.db);
  const app = await buildApp(ctx);
  const operator = { authorization: `Bearer ${adminToken}` };

  const request: TestHerald['request'] = ({ as, headers, ...rest }) =>
    app.inject({ ...rest, headers: { authorization: `Bearer ${as ?? adminToken}`, ...headers } } as InjectOptions);

  return {
    ctx,
    app,
    operator,
    request,
    async createTenant(input = {}) {
      const id = input.id ?? `t_${randomBytes(4).toString('hex')}`;
      const res = await request({ method: 'POST', url: '/v1/tenants', payload: { id, name: input.name ?? id, parentId: input.parentId } });
      if (res.statusCode !== 201) throw new Error(`createTenant: ${res.statusCode} ${res.body}`);
      return id;
    },
    async createKey(tenantId, keyOptions = {}) {
      const res = await request({ method: 'POST', url: `/v1/tenants/${tenantId}/api-keys`, payload: { name: 'test key', ...keyOptions } });
      if (res.statusCode !== 201) throw new Error(`createKey: ${res.statusCode} ${res.body}`);
      return res.json().key as string;
    },
    async close() {
      await app.close();
      await ctx.signal.close();
      await ctx.sender.close();
      await testDb.drop();
    },
  };
}

/**
 * Runs `suite` once per driver against one Herald shared by the whole suite (see `h()`), so a file
 * pays for one app per driver. Tests create their own tenants, so they do not disturb each other.
 */
export function describeEachHerald(
  name: string,
  suite: (h: () => TestHerald, driver: Driver) => void,
  options: { config?: Partial<Config> } = {},
): void {
  for (const driver of drivers) {
    describe(`${name} [${driver}]`, () => {
      let herald: TestHerald | undefined;
      beforeAll(async () => {
        herald = await testHerald({ driver, ...options });
      });
      afterAll(async () => {
        await herald?.close();
      });
      suite(() => herald!, driver);
    });
  }
}
