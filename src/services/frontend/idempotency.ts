import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import { HttpProblem } from './problem.js';

/**
 * `Idempotency-Key` for POSTs: a retried request (same evacuee, same key, same body) gets the first
 * answer back instead of creating a second wish; the same key with another body is a 422 (the
 * client has a bug). Concurrent retries share the first attempt's promise. Only successes are
 * remembered: after a 503 a retry must be free to try again.
 *
 * Scope: one frontend process, the last `maxEntries` keys for `ttlMs`. Behind several frontends a
 * retry that lands elsewhere is a new request; the older wish then loses by version and is marked
 * superseded, so the evacuee still ends with one wish.
 */
export class IdempotencyCache<T extends object> {
  private readonly entries: LRUCache<string, { fingerprint: string; answer: Promise<T> }>;

  constructor(options: { maxEntries: number; ttlMs: number }) {
    this.entries = new LRUCache({ max: options.maxEntries, ttl: options.ttlMs });
  }

  async once(
    scope: string,
    key: string,
    body: unknown,
    run: () => Promise<T>,
  ): Promise<{ answer: T; replayed: boolean }> {
    const id = `${scope}\u0000${key}`;
    const fingerprint = createHash('sha256').update(JSON.stringify(body)).digest('base64url');
    const known = this.entries.get(id);
    if (known !== undefined) {
      if (known.fingerprint !== fingerprint) {
        throw new HttpProblem({
          status: 422,
          slug: 'idempotency-key-reused',
          title: 'Idempotency key reused',
          detail: 'this Idempotency-Key was already used with a different request body',
        });
      }
      return { answer: await known.answer, replayed: true };
    }
    const answer = run();
    this.entries.set(id, { fingerprint, answer });
    try {
      return { answer: await answer, replayed: false };
    } catch (error) {
      this.entries.delete(id);
      throw error;
    }
  }
}
