import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../src/config/load.ts';

describe('configuration', () => {
  it('has a default for everything that needs one', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
    expect(config.roles).toEqual(['api', 'worker']);
    expect(config.dataDir).toBe('./data');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.allowHttp).toBe(false);
    expect(config.allowedCidrs).toEqual([]);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('parses every kind of value', () => {
    const config = loadConfig({
      HERALD_PORT: '9000',
      HERALD_ROLES: 'worker',
      HERALD_ALLOW_HTTP: 'true',
      HERALD_ALLOWED_CIDRS: '127.0.0.0/8, ::1/128',
      HERALD_DATABASE_URL: 'postgres://u:p@db:5432/herald',
      HERALD_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      HERALD_SECRET_GRACE_PERIOD: '2h',
    });
    expect(config.port).toBe(9000);
    expect(config.roles).toEqual(['worker']);
    expect(config.allowHttp).toBe(true);
    expect(config.allowedCidrs).toEqual(['127.0.0.0/8', '::1/128']);
    expect(config.encryptionKey).toEqual(Buffer.alloc(32, 7));
    expect(config.secretGracePeriodMs).toBe(7_200_000);
  });

  it('names every bad variable and what is wrong, at once', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ HERALD_PORT: 'eighty', HERALD_ROLES: 'api,cron', HERALD_ALLOWED_CIDRS: '10.0.0.0/99', HERALD_DATABASE_URL: 'mysql://x', HERALD_PROT: '1' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual([
      'HERALD_PORT must be an integer from 0 to 65535 (got "eighty")',
      'HERALD_ROLES "cron" is not one of api, worker',
      'HERALD_DATABASE_URL must start with postgres:// or postgresql://',
      'HERALD_ALLOWED_CIDRS "10.0.0.0/99" is not a CIDR range such as 10.0.0.0/8 or fd00::/8',
      'HERALD_PROT is not a Herald setting (see `herald config` for the list)',
    ]);
  });

  it('never shows secrets', () => {
    const config = loadConfig({ HERALD_ADMIN_TOKEN: 'super-secret-operator-token', HERALD_DATABASE_URL: 'postgres://u:hunter2@db/h' });
    const text = JSON.stringify(describeConfig(config));
    expect(text).not.toContain('super-secret');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('HERALD_ADMIN_TOKEN');
  });
});
