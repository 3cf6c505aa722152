import { expect, it } from 'vitest';
import { isMigrated, listMigrations, migrate } from '../../src/store/migrate.ts';
import { openPostgres } from '../../src/store/postgresDb.ts';
import { describeEachDriver } from '../support/databases.ts';

describeEachDriver('migrations', (db, driver) => {
  it('are all applied to a fresh database and re-running applies nothing', async () => {
    expect(await isMigrated(db())).toBe(true);
    expect(await migrate(db())).toEqual([]);
    const rows = await db().query<{ version: number }>('select version from schema_migrations order by version');
    expect(rows.map((r) => r.version)).toEqual(listMigrations().map((m) => m.version));
  });

  it('are numbered without gaps or repeats', () => {
    expect(listMigrations().map((m) => m.version)).toEqual(listMigrations().map((_, i) => i + 1));
  });

  if (driver === 'postgres') {
    it('are safe when several processes migrate at once', async () => {
      // Empty the schema, then let three independent pools race to migrate it.
      await db().exec('drop schema public cascade; create schema public;');
      const [first] = await db().query<{ url: string }>("select current_database() as url");
      const base = new URL(process.env.HERALD_TEST_DATABASE_URL!);
      base.pathname = `/${first!.url}`;
      const racers = [1, 2, 3].map(() => openPostgres(base.toString(), 2));
      const results = await Promise.all(racers.map((r) => migrate(r)));
      await Promise.all(racers.map((r) => r.close()));
      expect(results.filter((applied) => applied.length > 0)).toHaveLength(1);
      expect(results.flat()).toEqual(listMigrations().map((m) => m.name));
      expect(await isMigrated(db())).toBe(true);
    });
  }
});
