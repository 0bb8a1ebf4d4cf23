import type { FastifyInstance } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { ReadModel } from '../../ports/index.js';
import {
  canarySchema,
  tallySchema,
  wallSchema,
  type CanaryAnswer,
  type TallyAnswer,
  type WallPage,
  type WallQuery,
} from './api-shapes.js';

/** Distinct wall queries kept (destination × limit × cursor); polls ask for a handful of first pages. */
const WALL_PAGES_CACHED = 1000;

/**
 * The public reads, served from the read model, never from the system of record. Every open page
 * polls the wall and the tally, so a hall of thousands behind one address would be thousands of the
 * same query a second: each answer is kept for `cacheMs` and concurrent misses share one query, so
 * the read model sees at most one query per distinct read per interval, whoever asks.
 */
export function registerReadRoutes(app: FastifyInstance, readModel: ReadModel, cacheMs: number): void {
  const wall = cached<WallQuery, WallPage>({
    ttlMs: cacheMs,
    max: WALL_PAGES_CACHED,
    load: (query) => readModel.wall(query),
    keyOf: (query) => `${query.destination ?? ''}|${query.limit}|${query.cursor ?? ''}`,
  });
  const tally = cached<'tally', TallyAnswer>({
    ttlMs: cacheMs,
    max: 1,
    load: () => readModel.tally(),
    keyOf: () => 'tally',
  });

  app.get<{ Querystring: WallQuery }>('/api/wall', { schema: wallSchema }, async (request): Promise<WallPage> => {
    const { query } = request;
    return wall({
      limit: query.limit,
      ...(query.destination === undefined ? {} : { destination: query.destination }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
  });

  app.get('/api/tally', { schema: tallySchema }, async (): Promise<TallyAnswer> => tally('tally'));

  // Not cached: only the canary asks, a few times per run, and it times the moment its wish arrives.
  app.get('/api/canary', { schema: canarySchema }, async (): Promise<CanaryAnswer> => ({
    last: (await readModel.lastCanary()) ?? null,
  }));
}

/** `load`, with answers kept `ttlMs` per key and in-flight loads shared (lru-cache's `fetch`). */
function cached<Q, A extends object>({
  ttlMs,
  max,
  load,
  keyOf,
}: {
  ttlMs: number;
  max: number;
  load: (query: Q) => Promise<A>;
  keyOf: (query: Q) => string;
}): (query: Q) => Promise<A> {
  if (ttlMs === 0) return load;
  type Loader = () => Promise<A>;
  // A load still running when its key is evicted (more than `max` distinct reads at once) finishes
  // for its callers instead of failing them.
  const cache = new LRUCache<string, A, Loader>({
    max,
    ttl: ttlMs,
    ignoreFetchAbort: true,
    allowStaleOnFetchAbort: true,
    fetchMethod: (_key, _stale, { context }) => context(),
  });
  return async (query) =>
    (await cache.fetch(keyOf(query), { context: () => load(query) } as LRUCache.FetchOptionsWithContext<
      string,
      A,
      Loader
    >)) ?? load(query);
}
