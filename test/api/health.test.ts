import { expect, it } from 'vitest';
import { anonymous } from '../support/api.ts';
import { describeEachHerald } from '../support/herald.ts';

describeEachHerald('API: probes', (h, driver) => {
  it('GET /health answers 200 without credentials', async () => {
    const res = await anonymous(h(), 'GET', '/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /ready answers 200 with the database driver once migrations are applied', async () => {
    const res = await anonymous(h(), 'GET', '/ready');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', database: driver });
  });

  it('GET /metrics answers Prometheus text', async () => {
    const res = await anonymous(h(), 'GET', '/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^# HELP herald_/m);
  });

  it('GET /ready answers 503 while a migration is missing, and /health stays 200', async () => {
    const [first] = await h().ctx.db.query<{ version: number; name: string }>('delete from schema_migrations where version = 1 returning version, name');
    try {
      const res = await anonymous(h(), 'GET', '/ready');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'unavailable' });
      expect((await anonymous(h(), 'GET', '/health')).statusCode).toBe(200);
    } finally {
      await h().ctx.db.query('insert into schema_migrations (version, name) values ($1, $2)', [first!.version, first!.name]);
    }
    expect((await anonymous(h(), 'GET', '/ready')).statusCode).toBe(200);
  });
});
