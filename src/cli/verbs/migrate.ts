import { migrateStorage } from '../../engines/index.js';
import { CliError, defineVerb } from '../verb.js';

/**
 * `exodus migrate --store URL`: brings the store's schema up to date ahead of a deploy, one line per
 * migration applied. Services migrate on start as well (safely, concurrently), so this is for
 * operators who want schema changes to happen, and fail, before any new code runs.
 */
export const migrateVerb = defineVerb({
  path: ['migrate'],
  summary: "bring a PostgreSQL store's schema up to date ahead of a deploy",
  options: {},
  settings: 'engines',
  examples: ['exodus migrate --store postgres://127.0.0.1:5432/exodus'],
  run: async ({ config }) => {
    let applied: string[] | undefined;
    try {
      applied = await migrateStorage(config().storeUrl);
    } catch (error) {
      // One line for a deploy log. Each migration is all or nothing, so running again after a fix is safe.
      const reason = error instanceof Error ? error.message : String(error);
      throw new CliError(`migrate failed: ${reason.split('\n')[0] ?? ''}`, { cause: error });
    }
    if (applied === undefined) console.log('nothing to migrate: a sqlite store creates its schema when it opens');
    else if (applied.length === 0) console.log('schema up to date');
    else for (const name of applied) console.log(`applied ${name}`);
  },
});
