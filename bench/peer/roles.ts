import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import pg from 'pg';
import { connectionOf, loadBullMq, type BullJob, type BullQueue, type BullWorker } from '../bullmq.js';

/**
 * The peer's four services, as a team would write them with Fastify, BullMQ and PostgreSQL and no
 * more: no durable 202 (the answer follows `queue.add` into Redis memory), no boarding-pass check (the
 * evacuee id is read off the bearer token unverified), no tracing, metrics or logs. Each returns its
 * closer; service.ts runs one per process.
 */
export interface PeerConfig {
  readonly redisUrl: string;
  readonly postgresUrl: string;
  /** PostgreSQL schema holding this run's tables (made and dropped by drain.ts). */
  readonly schema: string;
  /** BullMQ key prefix of this run's queues (obliterated by drain.ts). */
  readonly prefix: string;
}

/** Jobs a BullMQ worker runs at once: enough to keep Redis and PostgreSQL busy on 2 cores. */
const CONCURRENCY = 50;
const JOB_OPTIONS = { removeOnComplete: true, removeOnFail: true };

interface Wish {
  readonly id: string;
  readonly evacueeId: string;
  readonly submittedAt: string;
  readonly destination: string;
  readonly to?: string;
  readonly message: string;
  readonly markup?: boolean;
}

export type Closer = () => Promise<void>;

/** POST /api/wishes → intake queue → 202; resolves with the port once listening. */
export async function frontend(config: PeerConfig): Promise<{ port: number; close: Closer }> {
  const intake = queue(config, 'intake');
  const app = Fastify({ logger: false, bodyLimit: 16_384 });
  app.post('/api/wishes', async (request, reply) => {
    const pass = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    const body = request.body as Partial<Wish> | null;
    const wish = {
      id: randomUUID(),
      evacueeId: pass.split('.')[0] ?? '',
      submittedAt: new Date().toISOString(),
      destination: body?.destination,
      to: body?.to,
      message: body?.message,
    };
    await intake.add('wish', wish, JOB_OPTIONS);
    return reply.code(202).send({ id: wish.id });
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    port: Number(new URL(address).port),
    close: async () => {
      await app.close();
      await intake.close();
    },
  };
}

/** intake → checked and marked → the "topic": one job for the worker, one for the tally. */
export async function parser(config: PeerConfig): Promise<Closer> {
  const [store, tally] = [queue(config, 'store'), queue(config, 'tally')];
  const worker = consume(config, 'intake', async ({ data }) => {
    const wish = data as Wish;
    if (wish.destination !== 'mars' && wish.destination !== 'europa') return; // dropped, as a plain peer would
    if (typeof wish.message !== 'string' || wish.message.length > 2_000) return;
    const parsed: Wish = { ...wish, message: wish.message.normalize('NFC'), markup: /<[a-z!/]/i.test(wish.message) };
    await Promise.all([store.add('wish', parsed, JOB_OPTIONS), tally.add('wish', parsed, JOB_OPTIONS)]);
  });
  await worker.waitUntilReady();
  return async () => {
    await worker.close();
    await Promise.all([store.close(), tally.close()]);
  };
}

/** store → one upsert per wish (the later submission wins). */
export async function worker(config: PeerConfig): Promise<Closer> {
  const db = pool(config);
  const consumer = consume(config, 'store', async ({ data }) => {
    const w = data as Wish;
    await db.query(
      `INSERT INTO wishes (evacuee_id, id, destination, recipient, message, markup, submitted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (evacuee_id) DO UPDATE SET id = EXCLUDED.id, destination = EXCLUDED.destination,
         recipient = EXCLUDED.recipient, message = EXCLUDED.message, markup = EXCLUDED.markup,
         submitted_at = EXCLUDED.submitted_at
       WHERE wishes.submitted_at < EXCLUDED.submitted_at`,
      [w.evacueeId, w.id, w.destination, w.to ?? null, w.message, w.markup === true, w.submittedAt],
    );
  });
  await consumer.waitUntilReady();
  return async () => {
    await consumer.close();
    await db.end();
  };
}

/** tally → one increment per wish: it counts arrivals, not current wishes (a resubmission counts twice). */
export async function tally(config: PeerConfig): Promise<Closer> {
  const db = pool(config);
  const consumer = consume(config, 'tally', async ({ data }) => {
    await db.query('UPDATE tally SET n = n + 1 WHERE destination = $1', [(data as Wish).destination]);
  });
  await consumer.waitUntilReady();
  return async () => {
    await consumer.close();
    await db.end();
  };
}

function queue(config: PeerConfig, name: string): BullQueue {
  const { Queue } = loadBullMq();
  return new Queue(name, { connection: connectionOf(config.redisUrl), prefix: config.prefix });
}

function consume(config: PeerConfig, name: string, processor: (job: BullJob) => Promise<void>): BullWorker {
  const { Worker } = loadBullMq();
  return new Worker(name, processor, {
    connection: connectionOf(config.redisUrl),
    prefix: config.prefix,
    concurrency: CONCURRENCY,
  });
}

function pool(config: PeerConfig): pg.Pool {
  return new pg.Pool({
    connectionString: withUser(config.postgresUrl),
    max: 10,
    options: `-c search_path=${config.schema}`,
  });
}

/**
 * The URL with a user: without one anywhere, pg sends none (it falls back to $USER only, which
 * containers often leave unset), where psql would log in as the OS user. So does this.
 */
export function withUser(url: string): string {
  const parsed = new URL(url);
  if (parsed.username === '' && !process.env['PGUSER'] && !process.env['USER'])
    parsed.username = encodeURIComponent(userInfo().username);
  return parsed.toString();
}
