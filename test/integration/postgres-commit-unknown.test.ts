import { userInfo } from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError, type ParsedWish } from '../../src/domain/index.js';
import { destroyNamespace, openStorage } from '../../src/engines/index.js';
import { connectionTarget } from '../../src/engines/postgres/connection.js';
import { Database } from '../../src/engines/postgres/database.js';
import { migratePostgres } from '../../src/engines/postgres/index.js';
import { PostgresReadModel } from '../../src/engines/postgres/read-model.js';
import { PostgresWishStore } from '../../src/engines/postgres/wish-store.js';
import { FaultProxy } from '../../src/ops/chaos/index.js';
import { EVENT_TYPES, type StorageEngine } from '../../src/ports/index.js';
import { createLogger } from '../../src/runtime/index.js';
import { createWorkerHandler } from '../../src/services/worker/index.js';
import { bindOf, PgCutProxy, simpleQuery, skipUnless, type CutMode, type PgMessage } from '../../testkit/index.js';
import { envelope, parsedWish } from '../contract/fixtures.js';
import {
  POSTGRES_UNAVAILABLE,
  TEST_POSTGRES_URL,
  testPostgresUrl,
  testSchemaName,
} from '../contract/postgres-fixture.js';

const skip = skipUnless(POSTGRES_UNAVAILABLE === undefined, POSTGRES_UNAVAILABLE ?? '');

const COMMIT = simpleQuery('COMMIT');
const APPLY = bindOf('exodus_apply_all');
/** Short bounds for the partition case, so it fails in a second or two rather than the engine's 15 s. */
const BOUNDS = 'statement_timeout=1000&query_timeout=1500';

/**
 * A COMMIT whose answer never reaches the engine (a failover cuts the connection, a partition
 * silences it) may have committed or not. The engine says TransientError and the caller runs the
 * same writes again, as the consume loop does: these cases cut a real connection to a real
 * PostgreSQL around the COMMIT and check that the retry leaves exactly the right state either way.
 */
describe.skipIf(skip)('PostgreSQL store: a commit whose outcome is unknown', () => {
  const schema = testSchemaName();
  let proxy: PgCutProxy;
  let storage: StorageEngine;
  let direct: pg.Client;
  let evacuees = 0;

  beforeAll(async () => {
    const server = new URL(TEST_POSTGRES_URL);
    proxy = await PgCutProxy.start({ host: server.hostname || '127.0.0.1', port: Number(server.port || 5432) });
    const through = new URL(testPostgresUrl(schema));
    through.host = `127.0.0.1:${proxy.port}`;
    storage = await openStorage(`${through.toString()}&${BOUNDS}`, { poolSize: 2 });
    // As the engine logs in when the URL names no user: as the OS user.
    const login = new URL(TEST_POSTGRES_URL);
    if (login.username === '') login.username = userInfo().username;
    direct = new pg.Client({ connectionString: login.toString() });
    await direct.connect();
  });

  afterAll(async () => {
    await storage?.close();
    await direct?.end();
    await proxy?.close();
    await destroyNamespace(testPostgresUrl(schema));
  });

  /** Runs `call` with a cut armed around the message `at` matches; it must fail with a TransientError. */
  async function cutDuring(
    at: (message: PgMessage) => boolean,
    mode: CutMode,
    call: () => Promise<unknown>,
  ): Promise<void> {
    const cut = proxy.cut(at, mode);
    await expect(call()).rejects.toBeInstanceOf(TransientError);
    await cut;
  }

  /** What the server holds, read past the proxy. */
  async function statusOf(id: string): Promise<string[]> {
    const result = await direct.query<{ status: string }>(`SELECT status FROM ${schema}.wishes WHERE id = $1`, [id]);
    return result.rows.map((row) => row.status);
  }
  async function statusesOf(wishes: readonly ParsedWish[]): Promise<string[][]> {
    const statuses: string[][] = [];
    for (const wish of wishes) statuses.push(await statusOf(wish.id));
    return statuses;
  }
  async function currentOf(evacueeId: string): Promise<string | undefined> {
    const result = await direct.query<{ wish_id: string }>(
      `SELECT wish_id FROM ${schema}.current_wishes WHERE evacuee_id = $1`,
      [evacueeId],
    );
    return result.rows[0]?.wish_id;
  }
  async function wallOf(evacueeId: string): Promise<{ wish_id: string; destination: string }[]> {
    const result = await direct.query<{ wish_id: string; destination: string }>(
      `SELECT wish_id, destination FROM ${schema}.wall WHERE evacuee_id = $1`,
      [evacueeId],
    );
    return result.rows;
  }

  const base = Date.UTC(2045, 0, 1);
  const evacuee = (): string => `EV-${String(++evacuees).padStart(5, '0')}`;
  const wishOf = (evacueeId: string, atMs: number, destination: 'mars' | 'europa' = 'mars'): ParsedWish =>
    parsedWish({ evacueeId, destination, submittedAt: new Date(base + atMs).toISOString() });

  it('put, committed but unanswered: the retry answers duplicate, the wish is stored once, the version rule holds', async () => {
    const who = evacuee();
    const [older, wish, between, newer] = [wishOf(who, 0), wishOf(who, 1_000), wishOf(who, 500), wishOf(who, 2_000)];
    expect(await storage.store.put(older)).toBe('stored');

    await cutDuring(COMMIT, 'after-forwarding', () => storage.store.put(wish));
    // It did commit: the client just never heard.
    expect(await statusOf(wish.id)).toEqual(['stored']);
    expect(await storage.store.put(wish)).toBe('duplicate');
    expect(await statusOf(wish.id)).toEqual(['stored']);
    expect(await statusOf(older.id)).toEqual(['superseded']);
    expect(await currentOf(who)).toBe(wish.id);

    expect(await storage.store.put(between)).toBe('superseded');
    expect(await currentOf(who)).toBe(wish.id);
    expect(await storage.store.put(newer)).toBe('stored');
    expect(await statusOf(wish.id)).toEqual(['superseded']);
    expect(await currentOf(who)).toBe(newer.id);
  });

  it('put, cut before its COMMIT left: nothing was kept, and the retry stores it', async () => {
    const who = evacuee();
    const [older, wish] = [wishOf(who, 0), wishOf(who, 1_000)];
    expect(await storage.store.put(older)).toBe('stored');

    await cutDuring(COMMIT, 'before-forwarding', () => storage.store.put(wish));
    expect(await statusOf(wish.id)).toEqual([]);
    expect(await currentOf(who)).toBe(older.id);
    expect(await storage.store.put(wish)).toBe('stored');
    expect(await statusOf(older.id)).toEqual(['superseded']);
    expect(await currentOf(who)).toBe(wish.id);
  });

  it.each<CutMode>(['after-forwarding', 'before-forwarding'])(
    'a batch of puts sharing one transaction (%s): the retried batch leaves each wish once, the newest current',
    async (mode) => {
      const [one, two] = [evacuee(), evacuee()];
      const batch = [wishOf(one, 0), wishOf(two, 0), wishOf(two, 1_000), wishOf(two, 500, 'europa')];
      const putAll = (): Promise<string[]> => Promise.all(batch.map((wish) => storage.store.put(wish)));
      await cutDuring(COMMIT, mode, async () => {
        // One turn of the event loop: one transaction. Every put of it fails with the cut.
        const outcomes = await Promise.allSettled(batch.map((wish) => storage.store.put(wish)));
        expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
        throw (outcomes[0] as PromiseRejectedResult).reason;
      });
      const stored = mode === 'after-forwarding';
      expect(await statusesOf(batch)).toEqual(
        stored ? [['stored'], ['superseded'], ['stored'], ['superseded']] : [[], [], [], []],
      );
      // The consumer's retry of the same batch: what was committed answers duplicate, the rest is decided now.
      expect(await putAll()).toEqual(
        stored
          ? ['duplicate', 'duplicate', 'duplicate', 'duplicate']
          : ['stored', 'superseded', 'stored', 'superseded'],
      );
      expect(await statusesOf(batch)).toEqual([['stored'], ['superseded'], ['stored'], ['superseded']]);
      expect([await currentOf(one), await currentOf(two)]).toEqual([batch[0]?.id, batch[2]?.id]);
    },
  );

  it('the worker retrying a message whose put committed unanswered: it succeeds and the wish stays stored', async () => {
    const handler = createWorkerHandler({ store: storage.store, logger: createLogger('test', 'silent') });
    const wish = wishOf(evacuee(), 0);
    const message = { ...envelope(wish.id, wish), type: EVENT_TYPES.wishParsed };
    await cutDuring(COMMIT, 'after-forwarding', () => handler(message));
    await handler(message); // the put answers `duplicate`: nothing more to do, and the message is acked
    expect((await storage.store.get(wish.id))?.status).toBe('stored');
  });

  it.each<CutMode>(['after-forwarding', 'before-forwarding'])(
    'apply (%s): the retry counts the wish once and leaves the wall row right',
    async (mode) => {
      const who = evacuee();
      const first = wishOf(who, 0, 'mars');
      const moved = wishOf(who, 1_000, 'europa');
      const before = await storage.readModel.tally();
      expect(await storage.readModel.apply(first)).toBe(true);

      await cutDuring(APPLY, mode, () => storage.readModel.apply(moved));
      expect(await wallOf(who)).toEqual([
        mode === 'after-forwarding'
          ? { wish_id: moved.id, destination: 'europa' }
          : { wish_id: first.id, destination: 'mars' },
      ]);
      // The consumer's retry: changes the row only if the cut kept it from doing so.
      expect(await storage.readModel.apply(moved)).toBe(mode === 'before-forwarding');
      expect(await storage.readModel.apply(moved)).toBe(false);
      expect(await wallOf(who)).toEqual([{ wish_id: moved.id, destination: 'europa' }]);
      const after = await storage.readModel.tally();
      expect({ mars: after.mars - before.mars, europa: after.europa - before.europa }).toEqual({ mars: 0, europa: 1 });
    },
  );

  it('a COMMIT met by silence (a partition): TransientError within the client bound, the connection dropped, the retry right', async () => {
    const who = evacuee();
    const wish = wishOf(who, 0);
    const started = Date.now();
    await cutDuring(COMMIT, 'silence-after-forwarding', () => storage.store.put(wish));
    // query_timeout is 1.5 s here; generous for a loaded machine, far from "forever".
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await statusOf(wish.id)).toEqual(['stored']);
    // The silenced connection is not reused (it would answer nothing, or answer the old COMMIT).
    expect(await storage.store.put(wish)).toBe('duplicate');
    expect(await storage.store.get(wish.id)).toMatchObject({ status: 'stored' });
    expect(await currentOf(who)).toBe(wish.id);
  });
});

/**
 * A partitioned primary (a black hole: sockets stay open, nothing comes back) must not hang a call:
 * the client's own bounds end it with a TransientError, and once the path heals the next call works.
 */
describe.skipIf(skip)('PostgreSQL store behind a black hole', () => {
  const schema = testSchemaName();
  let proxy: FaultProxy;
  let storage: StorageEngine;

  beforeAll(async () => {
    const server = new URL(TEST_POSTGRES_URL);
    proxy = new FaultProxy({ host: server.hostname || '127.0.0.1', port: Number(server.port || 5432) });
    const at = await proxy.listen({ host: '127.0.0.1', port: 0 });
    const through = new URL(testPostgresUrl(schema));
    through.host = `127.0.0.1:${at.port}`;
    storage = await openStorage(`${through.toString()}&${BOUNDS}`, { poolSize: 2 });
  });

  afterAll(async () => {
    proxy?.set(undefined);
    await storage?.close();
    await proxy?.close();
    await destroyNamespace(testPostgresUrl(schema));
  });

  it('a read on a pooled connection and a write both fail with TransientError within the bounds, then work once healed', async () => {
    const wish = parsedWish({ evacueeId: 'EV-BLACKHOLE' });
    expect(await storage.store.get(wish.id)).toBeUndefined(); // a pooled connection exists now
    proxy.set({ kind: 'drop' });
    for (const call of [() => storage.store.get(wish.id), () => storage.store.put(wish)]) {
      const started = Date.now();
      await expect(call()).rejects.toBeInstanceOf(TransientError);
      // query_timeout 1.5 s on a connection that was open, connectionTimeoutMillis 5 s on a new one.
      expect(Date.now() - started).toBeLessThan(15_000);
    }
    proxy.set(undefined);
    expect(await storage.store.put(wish)).toBe('stored');
    expect(await storage.store.get(wish.id)).toMatchObject({ status: 'stored' });
  }, 60_000);
});

/**
 * Right after a failover a connection may still reach the old primary, now a standby: its writes are
 * refused as read-only. That is "not now" (a TransientError, retried), not bad data, and the
 * connection is dropped so the next one goes through the proxy to the new primary.
 */
describe.skipIf(skip)('PostgreSQL store on a read-only server (a standby)', () => {
  const schema = testSchemaName();

  afterAll(() => destroyNamespace(testPostgresUrl(schema)));

  it('refuses a put and an apply with TransientError', async () => {
    await migratePostgres(testPostgresUrl(schema));
    // Opening the engine migrates (a write): the store's parts on their own, as after a failover.
    const standby = new URL(testPostgresUrl(schema));
    standby.searchParams.set('options', '-c default_transaction_read_only=on');
    const db = new Database(connectionTarget(standby.toString()).config, 1);
    try {
      const wish = parsedWish({ evacueeId: 'EV-STANDBY' });
      await expect(new PostgresWishStore(db).put(wish)).rejects.toBeInstanceOf(TransientError);
      await expect(new PostgresReadModel(db).apply(wish)).rejects.toBeInstanceOf(TransientError);
    } finally {
      await db.close();
    }
  });
});
