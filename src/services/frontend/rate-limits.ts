import rateLimit, { type CreateRateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { sendSorryPage, wantsPage } from './door-paths.js';
import { HttpProblem } from './problem.js';

export interface RateLimits {
  readonly ipWritesPerMinute: number;
  readonly evacueeWritesPerMinute: number;
  readonly ipReadsPerMinute: number;
}

/** `onRequest` hooks that answer 429 + Retry-After once a key has spent its minute. */
export interface RateGuards {
  /** Reads, keyed by client address. */
  readonly read: onRequestAsyncHookHandler[];
  /** Writes, keyed by client address: runs before the pass is checked, so floods cost no crypto. */
  readonly writeByAddress: onRequestAsyncHookHandler[];
  /**
   * Writes, keyed by the verified evacuee: must run after authentication, so a forged pass can never
   * spend someone else's allowance.
   */
  readonly writeByEvacuee: onRequestAsyncHookHandler[];
}

const WINDOW_MS = 60_000;
/** Keys remembered per limit; an evicted key starts a fresh window, so this must exceed the crowd (65,000). */
const KEYS_REMEMBERED = 200_000;

/**
 * Fixed-window limits per process, from @fastify/rate-limit's store. Several frontend replicas
 * each count on their own (the limits are per replica; a shared Redis store is the plugin's option
 * when that matters). Each limit has its own counter, so reading the wall never spends writes.
 */
export async function installRateLimits(app: FastifyInstance, limits: RateLimits, sorryPage: string): Promise<RateGuards> {
  await app.register(rateLimit, { global: false });
  const guard = (perMinute: number, what: string, keyOf?: (request: FastifyRequest) => string): onRequestAsyncHookHandler[] => {
    if (perMinute === 0) return [];
    // Each limit gets a store of its own, sized by `cache` (the plugin's default remembers 5,000
    // keys). Its types omit `cache` for createRateLimit, though the store honours it: a test checks.
    const options: CreateRateLimitOptions & { cache: number } = { max: perMinute, timeWindow: WINDOW_MS, cache: KEYS_REMEMBERED, ...(keyOf === undefined ? {} : { keyGenerator: keyOf }) };
    const check = app.createRateLimit(options);
    return [
      async (request, reply) => {
        const verdict = await check(request);
        if (verdict.isAllowed || !verdict.isExceeded) return;
        const retryAfter = Math.max(1, verdict.ttlInSeconds);
        if (wantsPage(request)) return sendSorryPage(reply, sorryPage, 429, retryAfter);
        reply.header('ratelimit-limit', String(verdict.max));
        throw new HttpProblem(429, 'rate-limited', 'Too many requests', `at most ${perMinute} ${what} a minute; try again in ${retryAfter} s`, { 'retry-after': String(retryAfter) });
      },
    ];
  };
  return {
    read: guard(limits.ipReadsPerMinute, 'reads from one address'),
    writeByAddress: guard(limits.ipWritesPerMinute, 'wishes from one address'),
    writeByEvacuee: guard(limits.evacueeWritesPerMinute, 'wishes per evacuee', (request) => request.evacueeId ?? ''),
  };
}
