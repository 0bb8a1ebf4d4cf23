import { frontend, parser, tally, worker, type Closer, type PeerConfig } from './roles.js';

/**
 * One peer service per process (`node service.js frontend|parser|worker|tally`), configured by
 * drain.ts through the environment. Tells its parent `{ ready: true, port? }` over IPC once it
 * listens or consumes; on SIGTERM (or its parent gone) it closes and exits.
 */
const ROLES = { parser, worker, tally } as const;

async function main(): Promise<void> {
  const role = process.argv[2] ?? '';
  const config: PeerConfig = {
    redisUrl: required('PEER_REDIS_URL'),
    postgresUrl: required('PEER_POSTGRES_URL'),
    schema: required('PEER_SCHEMA'),
    prefix: required('PEER_PREFIX'),
  };
  let close: Closer;
  if (role === 'frontend') {
    const started = await frontend(config);
    close = started.close;
    process.send?.({ ready: true, port: started.port });
  } else if (role === 'parser' || role === 'worker' || role === 'tally') {
    close = await ROLES[role](config);
    process.send?.({ ready: true });
  } else {
    throw new Error(`peer service: unknown role "${role}"`);
  }
  const stop = (): void => {
    // Bounded: whatever hangs, the process is gone within 5 s.
    setTimeout(() => process.exit(1), 5_000).unref();
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`peer service: ${name} is not set`);
  return value;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
