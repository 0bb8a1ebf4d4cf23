import { afterAll, describe, expect, it } from 'vitest';
import { destroyNamespace } from '../../src/engines/index.js';
import { migratePostgres } from '../../src/engines/postgres/index.js';
import { MIGRATIONS } from '../../src/engines/postgres/migrations.js';
import { exodus, skipUnless, tempDir } from '../../testkit/index.js';
import { POSTGRES_UNAVAILABLE, testPostgresUrl, testSchemaName } from '../contract/postgres-fixture.js';

const skip = skipUnless(POSTGRES_UNAVAILABLE === undefined, `exodus migrate: ${POSTGRES_UNAVAILABLE ?? ''}`);

describe.skipIf(skip)('exodus migrate', () => {
  const schema = testSchemaName();
  const other = testSchemaName();
  afterAll(() => Promise.all([destroyNamespace(testPostgresUrl(schema)), destroyNamespace(testPostgresUrl(other))]));

  it('applies each migration once though three start at once, then finds the schema up to date; sqlite has nothing to migrate', async () => {
    const migrate = (store: string): ReturnType<typeof exodus> =>
      exodus(['migrate', '--store', store, '--data', tempDir()]);
    const url = testPostgresUrl(schema);

    const racing = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    expect(racing.map((run) => [run.code, run.stderr])).toEqual([
      [0, ''],
      [0, ''],
      [0, ''],
    ]);
    const lines = racing.flatMap((run) => run.stdout.trim().split('\n'));
    // The advisory lock lets one process apply everything while the other two wait, then see it done.
    expect(lines.filter((line) => line.startsWith('applied '))).toEqual(MIGRATIONS.map((m) => `applied ${m.name}`));
    expect(lines.filter((line) => line === 'schema up to date')).toHaveLength(2);

    expect(await migrate(url)).toMatchObject({ code: 0, stdout: 'schema up to date\n' });
    expect(await migrate(`sqlite:${tempDir()}`)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^nothing to migrate/) as unknown,
    });
    const refused = await migrate('postgres://127.0.0.1:1/test');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^exodus: migrate failed: PostgreSQL unavailable: .*ECONNREFUSED.*\n$/);
  });

  // Processes start within milliseconds of each other only by luck; here eight callers surely overlap.
  // Without the advisory lock this fails on CREATE SCHEMA or a migration's CREATE TABLE.
  it('eight concurrent starts on a fresh schema apply each migration exactly once', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => migratePostgres(testPostgresUrl(other))));
    expect(results.flat()).toEqual(MIGRATIONS.map((m) => m.name));
  });
});
