import rateLimit, { type CreateRateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { sendSorryPage, wantsPage } from './door-paths.js';
import { HttpProblem } from './problem.js';

export interface RateLimits {
  readonly ipFailedWritesPerMinute: number;
  readonly evacueeWritesPerMinute: number;
  readonly ipReadsPerMinute: number;
}

/** `onRequest` hooks that answer 429 + Retry-After once a key has spent its minute. */
export interface RateGuards {
  /** Reads, keyed by client address (off by default: reads are cached, a hall must get in). */
  readonly read: onRequestAsyncHookHandler[];
  /**
   * Writes from an address that has spent its allowance of *failed* writes: runs before the pass is
   * checked, so a flood of guesses costs no crypto. Good writes never spend it.
   */
  readonly failedWritesByAddress: onRequestAsyncHookHandler[];
  /**
   * Writes, keyed by the verified evacuee: must run after authentication, so a forged pass can never
   * spend someone else's allowance.
   */
  readonly writeByEvacuee: onRequestAsyncHookHandler[];
}

const WINDOW_MS = 60_000;
/** Keys remembered per limit; an evicted key starts a fresh window, so this must exceed the crowd (65,000). */
const KEYS_REMEMBERED = 200_000;
/** What a write costs us without a pass: refused before or by the pass check, or malformed. */
const FAILED_WRITE_STATUSES: ReadonlySet<number> = new Set([400, 401, 413, 415, 422]);

/**
 * Limits per process, in fixed one-minute windows. Several frontend replicas each count on their own.
 * Per address, only what costs without a pass is limited: many phones share one address (a boarding
 * hall, one NAT), so good writes are limited per evacuee and reads are served from a cache instead.
 */
export async function installRateLimits(app: FastifyInstance, limits: RateLimits, sorryPage: string): Promise<RateGuards> {
  await app.register(rateLimit, { global: false });
  const refuse = (retryAfterSeconds: number, detail: string): never => {
    const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
    throw new HttpProblem(429, 'rate-limited', 'Too many requests', `${detail}; try again in ${retryAfter} s`, { 'retry-after': String(retryAfter) });
  };
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
        if (wantsPage(request)) return sendSorryPage(reply, sorryPage, { status: 429, retryAfterSeconds: Math.max(1, verdict.ttlInSeconds), reason: 'rate-limited' });
        reply.header('ratelimit-limit', String(verdict.max));
        refuse(verdict.ttlInSeconds, `at most ${perMinute} ${what} a minute`);
      },
    ];
  };
  return {
    read: guard(limits.ipReadsPerMinute, 'reads from one address'),
    failedWritesByAddress: failureBudget(app, limits.ipFailedWritesPerMinute, (retryAfterSeconds) =>
      refuse(retryAfterSeconds, `at most ${limits.ipFailedWritesPerMinute} failed wishes (a missing or wrong boarding pass, a malformed request) from one address a minute`),
    ),
    writeByEvacuee: guard(limits.evacueeWritesPerMinute, 'wishes per evacuee', (request) => request.evacueeId ?? ''),
  };
}

/**
 * Counts failed writes per client address once they are answered, and refuses an address's writes
 * while its window's count is spent: the gate only reads the count (`increment: false`), so good
 * writes never spend it.
 */
function failureBudget(app: FastifyInstance, perMinute: number, refuse: (retryAfterSeconds: number) => never): onRequestAsyncHookHandler[] {
  if (perMinute === 0) return [];
  const options: CreateRateLimitOptions & { cache: number } = { max: perMinute, timeWindow: WINDOW_MS, cache: KEYS_REMEMBERED };
  const failures = app.createRateLimit(options);
  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'POST' && FAILED_WRITE_STATUSES.has(reply.statusCode)) await failures(request);
  });
  return [
    async (request) => {
      const spent = await failures(request, { increment: false });
      if (!spent.isAllowed && spent.remaining === 0) refuse(spent.ttlInSeconds);
    },
  ];
}
