import rateLimit, { type CreateRateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { sendSorryPage, wantsPage } from './door-paths.js';
import { HttpProblem } from './problem.js';

export interface RateLimits {
  readonly ipFailedWritesPerMinute: number;
  readonly evacueeWritesPerMinute: number;
  readonly ipReadsPerMinute: number;
}

/** What the routes call to apply the limits: 429 + Retry-After once a key has spent its minute. */
export interface RateGuards {
  /** `onRequest` hooks for reads, keyed by client address (off by default: a hall must get in). */
  readonly read: onRequestAsyncHookHandler[];
  /**
   * Called when a write's boarding pass is refused (missing, malformed, forged, expired): counts it
   * against the client address and throws 429 once the address has spent its allowance, so
   * guessing passes stays slow. A write with a valid pass never meets it.
   */
  readonly passRefused: (request: FastifyRequest) => Promise<void>;
  /**
   * `onRequest` hooks for writes, keyed by the verified evacuee: must run after authentication, so
   * a forged pass can never spend someone else's allowance.
   */
  readonly writeByEvacuee: onRequestAsyncHookHandler[];
}

const WINDOW_MS = 60_000;
/** Keys remembered per limit; an evicted key starts a fresh window, so this must exceed the crowd (65,000). */
const KEYS_REMEMBERED = 200_000;

/**
 * Limits per process (@fastify/rate-limit's store), in fixed one-minute windows. Several frontend
 * replicas each count on their own. Many phones share one address (a boarding hall, one NAT), so no
 * good request is limited by address: writes with a valid pass are limited per evacuee (malformed
 * ones included), and per address only writes without a valid pass are counted.
 */
export async function installRateLimits(
  app: FastifyInstance,
  limits: RateLimits,
  sorryPage: string,
): Promise<RateGuards> {
  await app.register(rateLimit, { global: false });
  const counter = (perMinute: number, keyOf?: (request: FastifyRequest) => string) => {
    // Each limit gets a store of its own, sized by `cache` (the plugin's default remembers 5,000
    // keys). Its types omit `cache` for createRateLimit, though the store honours it: a test checks.
    const options: CreateRateLimitOptions & { cache: number } = {
      max: perMinute,
      timeWindow: WINDOW_MS,
      cache: KEYS_REMEMBERED,
      ...(keyOf === undefined ? {} : { keyGenerator: keyOf }),
    };
    return app.createRateLimit(options);
  };
  const limited = (retryAfterSeconds: number, detail: string): HttpProblem => {
    const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
    return HttpProblem.retryLater({
      status: 429,
      slug: 'rate-limited',
      detail: `${detail}; try again in ${retryAfter} s`,
      retryAfterSeconds: retryAfter,
    });
  };
  const guard = (
    perMinute: number,
    what: string,
    keyOf?: (request: FastifyRequest) => string,
  ): onRequestAsyncHookHandler[] => {
    if (perMinute === 0) return [];
    const check = counter(perMinute, keyOf);
    return [
      async (request, reply) => {
        const verdict = await check(request);
        if (verdict.isAllowed || !verdict.isExceeded) return;
        if (wantsPage(request))
          return sendSorryPage(reply, sorryPage, {
            status: 429,
            retryAfterSeconds: Math.max(1, verdict.ttlInSeconds),
            reason: 'rate-limited',
          });
        reply.header('ratelimit-limit', String(verdict.max));
        throw limited(verdict.ttlInSeconds, `at most ${perMinute} ${what} a minute`);
      },
    ];
  };
  const passRefused = (perMinute: number): RateGuards['passRefused'] => {
    if (perMinute === 0) return async () => undefined;
    const refusals = counter(perMinute);
    return async (request) => {
      const verdict = await refusals(request);
      if (!verdict.isAllowed && verdict.isExceeded) {
        throw limited(
          verdict.ttlInSeconds,
          `at most ${perMinute} wishes without a valid boarding pass from one address a minute`,
        );
      }
    };
  };
  return {
    read: guard(limits.ipReadsPerMinute, 'reads from one address'),
    passRefused: passRefused(limits.ipFailedWritesPerMinute),
    writeByEvacuee: guard(limits.evacueeWritesPerMinute, 'wishes per evacuee', (request) => request.evacueeId ?? ''),
  };
}
