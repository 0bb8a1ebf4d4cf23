import { migrateStorage } from '../engines/index.js';
import { CliError, type VerbInput } from './args.js';

/**
 * `exodus migrate --store URL`: brings the store's schema up to date ahead of a deploy, one line per
 * migration applied. Services migrate on start as well (safely, concurrently), so this is for
 * operators who want schema changes to happen, and fail, before any new code runs.
 */
export async function migrateCommand({ config: settings }: VerbInput): Promise<void> {
  const config = settings();
  let applied: string[] | undefined;
  try {
    applied = await migrateStorage(config.storeUrl);
  } catch (error) {
    // One line for a deploy log. Each migration is all or nothing, so running again after a fix is safe.
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(`migrate failed: ${reason.split('\n')[0] ?? ''}`, { cause: error });
  }
  if (applied === undefined) console.log('nothing to migrate: a sqlite store creates its schema when it opens');
  else if (applied.length === 0) console.log('schema up to date');
  else for (const name of applied) console.log(`applied ${name}`);
}
