import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  AuthError,
  checkSubmission,
  MessageRefusedError,
  verifyPass,
  type AcceptedWish,
  type WishSubmission,
} from '../../domain/index.js';
import { EVENT_TYPES, QUEUES, type Queue, type WishStore } from '../../ports/index.js';
import { countWish, createEnvelope, produce, tagWishSpan, type Secret } from '../../runtime/index.js';
import { submitWishSchema, wishStatusSchema, type Accepted, type WishIdParams, type WishState } from './api-shapes.js';
import { IdempotencyCache } from './idempotency.js';
import type { WriteGate } from './load-shedding.js';
import { HttpProblem } from './problem.js';
import type { RateGuards } from './rate-limits.js';
import { newWishId, wishIdIssuedAt } from './wish-id.js';

export interface WishRouteDeps {
  readonly intake: Queue;
  readonly store: WishStore;
  readonly passSecret: Secret;
  /** A send slower than this answers 503: a quick "try again" beats a request queued without bound. */
  readonly sendTimeoutMs: number;
  readonly writeGate: WriteGate;
  readonly guards: RateGuards;
}

/** How long an id the store has not seen yet is reported `pending` rather than unknown. */
const PENDING_WINDOW_MS = 7 * 24 * 3600_000;

export function registerWishRoutes(app: FastifyInstance, deps: WishRouteDeps): void {
  const idempotency = new IdempotencyCache<Accepted>({ maxEntries: 100_000, ttlMs: 24 * 3600_000 });

  const accept = async (evacueeId: string, submission: WishSubmission): Promise<Accepted> => {
    const wish: AcceptedWish = { id: newWishId(), evacueeId, submittedAt: new Date().toISOString(), ...submission };
    try {
      await produce(
        QUEUES.intake,
        () => [createEnvelope(EVENT_TYPES.wishAccepted, '/exodus/frontend', `${wish.id}.accepted`, wish)],
        (messages) =>
          withTimeout(
            deps.writeGate.send(() => deps.intake.send(messages)),
            deps.sendTimeoutMs,
          ),
      );
    } catch (error) {
      if (error instanceof HttpProblem) throw error; // the gate's own answer
      // This wish, not the queue: the next one goes through, so the door stays open.
      if (error instanceof MessageRefusedError) throw HttpProblem.wishRefused(error);
      throw HttpProblem.retryLater({
        status: 503,
        slug: 'intake-unavailable',
        detail: 'the wish could not be queued durably; please retry',
        retryAfterSeconds: 2,
        cause: error,
      });
    }
    countWish('accepted');
    return {
      id: wish.id,
      status: 'pending',
      evacueeId,
      destination: wish.destination,
      submittedAt: wish.submittedAt,
      statusUrl: `/api/wishes/${wish.id}`,
    };
  };

  app.post(
    '/api/wishes',
    {
      schema: submitWishSchema,
      // Auth and limits before the body is even read: strangers cost us no parsing and learn nothing
      // about the schema. A refused pass counts against its address (429 once spent, instead of
      // telling a guesser anything); a valid one only against its evacuee.
      onRequest: [
        async (request) => {
          try {
            request.evacueeId = evacueeFrom(request, deps.passSecret);
          } catch (error) {
            await deps.guards.passRefused(request);
            throw error;
          }
        },
        ...deps.guards.writeByEvacuee,
      ],
      validatorCompiler: ({ httpPart }) =>
        httpPart === 'body'
          ? (body: unknown) => {
              try {
                return { value: checkSubmission(body) };
              } catch (error) {
                return { error: error as Error };
              }
            }
          : () => true,
    },
    async (request, reply) => {
      const evacueeId = request.evacueeId ?? '';
      const submission = request.body as WishSubmission;
      const key = request.headers['idempotency-key'];
      const { answer, replayed } =
        typeof key === 'string' && key !== ''
          ? await idempotency.once(evacueeId, key, submission, () => accept(evacueeId, submission))
          : { answer: await accept(evacueeId, submission), replayed: false };
      if (replayed) reply.header('idempotent-replayed', 'true');
      tagWishSpan({ id: answer.id, evacueeId }, request.span);
      return reply.code(202).header('location', answer.statusUrl).send(answer);
    },
  );

  app.get<{ Params: WishIdParams }>(
    '/api/wishes/:id',
    { schema: wishStatusSchema },
    async (request): Promise<WishState> => {
      const { id } = request.params;
      const record = await deps.store.get(id);
      if (record === undefined) {
        if (!plausiblyPending(id))
          throw new HttpProblem({
            status: 404,
            slug: 'unknown-wish',
            title: 'Unknown wish',
            detail: `no wish with id ${id}`,
          });
        return { id, status: 'pending' };
      }
      return {
        id: record.id,
        status: record.status,
        evacueeId: record.evacueeId,
        submittedAt: record.submittedAt,
        ...(record.reason === undefined ? {} : { reason: record.reason }),
        ...(record.wish === undefined
          ? {}
          : {
              destination: record.wish.destination,
              arrivalDate: record.wish.arrivalDate,
              markupFlagged: record.wish.markupFlagged,
            }),
      };
    },
  );
}

declare module 'fastify' {
  interface FastifyRequest {
    evacueeId?: string;
  }
}

function evacueeFrom(request: FastifyRequest, secret: Secret): string {
  const header = request.headers.authorization;
  if (header === undefined || header === '')
    throw new AuthError('missing', 'send your boarding pass as "Authorization: Bearer <pass>"');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1])
    throw new AuthError('malformed', 'this is not a boarding pass: send it as "Authorization: Bearer <pass>"');
  return verifyPass(secret.reveal(), match[1]);
}

/**
 * The store learns of a wish only once the pipeline records it, so an id it doesn't know is
 * `pending` if it is one we could have issued lately: a UUIDv7 whose timestamp is recent (a clock
 * up to a minute ahead allowed).
 */
function plausiblyPending(id: string): boolean {
  const issuedAt = wishIdIssuedAt(id);
  if (issuedAt === undefined) return false;
  const age = Date.now() - issuedAt;
  return age >= -60_000 && age <= PENDING_WINDOW_MS;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
