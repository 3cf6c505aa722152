// The database seam on both drivers: statements run with per-use settings without changing the
// settings of everything else.
import { expect, it } from 'vitest';
import { describeEachDriver } from '../support/databases.ts';

const setting = 'select current_setting($1) as value';

describeEachDriver('store: db settings', (db) => {
  it('runs statements withSettings under those settings, and others under the defaults', async () => {
    const tuned = db().withSettings({ enable_bitmapscan: 'off', synchronous_commit: 'off' });
    expect(await tuned.query(setting, ['enable_bitmapscan'])).toEqual([{ value: 'off' }]);
    expect(await tuned.query(setting, ['synchronous_commit'])).toEqual([{ value: 'off' }]);
    expect(await db().query(setting, ['enable_bitmapscan'])).toEqual([{ value: 'on' }]);
    expect(await db().query(setting, ['synchronous_commit'])).toEqual([{ value: 'on' }]);
    // Asked again, the same settings come back on the same connection, not on a new one each time.
    const again = db().withSettings({ enable_bitmapscan: 'off', synchronous_commit: 'off' });
    const pid = 'select pg_backend_pid() as pid';
    expect(await again.query(pid)).toEqual(await tuned.query(pid));
  });

  it('refuses a setting that is not plain words (it would be written into SQL)', () => {
    expect(() => db().withSettings({ 'enable_bitmapscan = on; drop table x; --': 'off' })).toThrow(/not a plain setting/);
    expect(() => db().withSettings({ work_mem: "'64MB'" })).toThrow(/not a plain setting/);
  });
});
