import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import pg from 'pg';
import { wishRequests } from '../../src/ops/load/index.js';
import { generateRoster } from '../../testkit/index.js';
import { connectionOf, loadBullMq } from '../bullmq.js';
import { measureDrain, type Counts, type DrainReport } from '../drain.js';
import { watchingMemory, type MemoryReport } from '../memory.js';
import { forkTracked, GENERATOR, removeTempDir, stopChild, tempDir } from '../processes.js';
import type { DrainScenario, PeerScenario } from '../scenarios.js';
import { withUser } from './roles.js';

/**
 * The peer-style baseline, drained like exodus in the same run: a plain Fastify + BullMQ (Redis) +
 * PostgreSQL pipeline with the same four services (roles.ts), each its own process, doing less. The
 * same roster's 65,000 POSTs, timed from the first POST until its tally (a PostgreSQL table) counts
 * them all. Its CPU per wish is that of its four Node processes; Redis and PostgreSQL are "others"
 * (processes the bench did not start), as nats-server and postgres are in exodus's distributed drain.
 * Every run has its own schema and queue prefix, dropped and obliterated at the end.
 */
export type PeerReport = Omit<DrainReport, 'queuesAtEnd' | 'restarted' | 'memory'> & {
  readonly memory: MemoryReport;
};

const SERVICE = resolve(import.meta.dirname, 'service.js');
const ROLES = ['frontend', 'parser', 'worker', 'tally'] as const;
const QUEUES = ['intake', 'store', 'tally'] as const;
const READY_TIMEOUT_MS = 20_000;

export async function runPeerDrain(
  drain: DrainScenario,
  peer: PeerScenario,
  log: (line: string) => void,
): Promise<PeerReport> {
  const run = Date.now().toString(36);
  const config = { schema: `peer_${run}`, prefix: `peer-${run}` };
  const dataDir = tempDir('exodus-bench-peer-');
  const admin = new pg.Client({ connectionString: withUser(peer.postgresUrl) });
  const children: { role: string; child: ChildProcess }[] = [];
  try {
    log(`peer (Fastify + BullMQ + PostgreSQL): roster of ${drain.evacuees} in ${dataDir}, schema ${config.schema}`);
    const requests = wishRequests(await generateRoster(dataDir, drain.evacuees), 7);
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${config.schema}`);
    await admin.query(`CREATE TABLE ${config.schema}.wishes (evacuee_id text PRIMARY KEY, id uuid NOT NULL,
      destination text NOT NULL, recipient text, message text NOT NULL, markup boolean NOT NULL, submitted_at timestamptz NOT NULL)`);
    await admin.query(`CREATE TABLE ${config.schema}.tally (destination text PRIMARY KEY, n bigint NOT NULL)`);
    await admin.query(`INSERT INTO ${config.schema}.tally VALUES ('mars', 0), ('europa', 0)`);
    const env = {
      PEER_REDIS_URL: peer.redisUrl,
      PEER_POSTGRES_URL: peer.postgresUrl,
      PEER_SCHEMA: config.schema,
      PEER_PREFIX: config.prefix,
    };
    let port = 0;
    for (const role of ROLES) {
      const child = forkTracked(SERVICE, [role], env);
      children.push({ role, child });
      const ready = await readyMessage(child, role);
      if (role === 'frontend') port = ready.port ?? 0;
    }
    const watched = [
      { name: GENERATOR, pid: process.pid },
      ...children.map(({ role, child }) => ({ name: `peer ${role}`, pid: child.pid ?? 0 })),
    ];
    const counts = async (): Promise<Counts> => {
      const { rows } = await admin.query<{ stored: string; tallied: string }>(
        `SELECT (SELECT count(*) FROM ${config.schema}.wishes) AS stored, (SELECT sum(n) FROM ${config.schema}.tally) AS tallied`,
      );
      return { stored: Number(rows[0]?.stored ?? 0), tallied: Number(rows[0]?.tallied ?? 0) };
    };
    log(`peer: ${drain.evacuees} wishes over ${drain.connections} connections, timeout ${peer.timeoutMs / 1000} s`);
    const [report, memory] = await watchingMemory(watched.slice(1), () =>
      measureDrain({
        origin: `http://127.0.0.1:${port}`,
        requests,
        counts,
        watched,
        scenario: { ...drain, timeoutMs: peer.timeoutMs },
      }),
    );
    log(
      `peer: all stored after ${report.allStoredMs ?? 'TIMEOUT'} ms, in the tally after ${report.allTalliedMs ?? 'TIMEOUT'} ms; ` +
        `${report.cpuUsPerWish.system ?? '–'} µs CPU per wish (its Node processes), RSS ${memory.idleMb} / ${memory.peakMb} MB`,
    );
    return { ...report, memory };
  } finally {
    await Promise.all(children.map(({ child }) => stopChild(child, 6_000)));
    await obliterate(peer.redisUrl, config.prefix).catch((error: unknown) =>
      log(`peer: obliterating its queues failed: ${String(error)}`),
    );
    await admin
      .query(`DROP SCHEMA IF EXISTS ${config.schema} CASCADE`)
      .catch((error: unknown) => log(`peer: dropping schema ${config.schema} failed: ${String(error)}`));
    await admin.end().catch(() => undefined);
    removeTempDir(dataDir);
  }
}

async function readyMessage(child: ChildProcess, role: string): Promise<{ port?: number }> {
  return new Promise((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`peer ${role} not ready within ${READY_TIMEOUT_MS / 1000} s`)),
      READY_TIMEOUT_MS,
    );
    child.once('message', (message: unknown) => {
      clearTimeout(timer);
      const port = (message as { port?: unknown } | null)?.port;
      done(typeof port === 'number' ? { port } : {});
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`peer ${role} exited ${String(code)} before it was ready`));
    });
  });
}

/** Removes every key of the run's queues from Redis, whatever state their jobs are in. */
async function obliterate(redisUrl: string, prefix: string): Promise<void> {
  const { Queue } = loadBullMq();
  for (const name of QUEUES) {
    const queue = new Queue(name, { connection: connectionOf(redisUrl), prefix });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
  }
}
