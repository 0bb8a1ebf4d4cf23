import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AuthError,
  TransientError,
  ValidationError,
  passProblemType,
  type MessageRefusedError,
} from '../../domain/index.js';
import type { Logger } from '../../runtime/index.js';
import type { Problem } from './api-shapes.js';

/*
 * The one place errors become HTTP: RFC 9457 `application/problem+json` (its shape: `Problem`, in
 * api-shapes.ts), naming each bad field. Clients can branch on `type`; `detail` is for people.
 */

/** The problem type's slug of `HttpProblem.wishRefused`: a wish the intake queue refused for what it holds. */
export const WISH_REFUSED = 'wish-refused-by-queue';

/** A problem the API means to answer with, e.g. 503 when the queue cannot take the wish. */
export class HttpProblem extends Error {
  readonly status: number;
  /** The last segment of the problem `type` (`/problems/<slug>`): what clients branch on. */
  readonly slug: string;
  readonly title: string;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * A refusal: counted by reason and logged a line a second with the count (refusals.ts), never a
   * line and a stack per request, which would flood the log exactly when many requests meet it.
   */
  readonly refusal: boolean;
  constructor(problem: {
    status: number;
    slug: string;
    title: string;
    detail: string;
    headers?: Readonly<Record<string, string>>;
    refusal?: boolean;
    cause?: unknown;
  }) {
    super(problem.detail, problem.cause === undefined ? undefined : { cause: problem.cause });
    this.status = problem.status;
    this.slug = problem.slug;
    this.title = problem.title;
    this.headers = problem.headers ?? {};
    this.refusal = problem.refusal ?? false;
  }

  /** 429 or 503 with `Retry-After`: the client is told to come back, and when. A refusal. */
  static retryLater({
    status,
    slug,
    detail,
    retryAfterSeconds,
    cause,
  }: {
    status: 429 | 503;
    slug: string;
    detail: string;
    retryAfterSeconds: number;
    cause?: unknown;
  }): HttpProblem {
    const title = status === 429 ? 'Too many requests' : 'Service unavailable';
    return new HttpProblem({
      status,
      slug,
      title,
      detail,
      headers: { 'retry-after': String(retryAfterSeconds) },
      refusal: true,
      cause,
    });
  }

  /**
   * The intake queue refused this one wish for what it holds (an engine's `MessageRefusedError`):
   * 500 with a type of its own, without Retry-After, since sending the same wish again fails the
   * same way. Not "unavailable": the queue is up and takes other wishes, so the door stays open. A
   * refusal, counted and logged at error level (the door let through a text the pipeline cannot
   * carry: a defect to fix).
   */
  static wishRefused(cause: MessageRefusedError): HttpProblem {
    return new HttpProblem({
      status: 500,
      slug: WISH_REFUSED,
      title: 'Wish refused by the queue',
      detail:
        'the wish queue refused this text, so sending it again will not help; nothing was kept, and the operators have been told',
      refusal: true,
      cause,
    });
  }
}

const TITLES: Readonly<Record<number, [slug: string, title: string]>> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Boarding pass required'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  413: ['payload-too-large', 'Request body too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['unprocessable', 'Unprocessable request'],
  429: ['rate-limited', 'Too many requests'],
  500: ['internal', 'Internal error'],
  503: ['unavailable', 'Service unavailable'],
};

export function sendProblem(
  reply: FastifyReply,
  problem: Problem,
  headers: Readonly<Record<string, string>> = {},
): FastifyReply {
  return reply.code(problem.status).headers(headers).type('application/problem+json').send(problem);
}

export function installProblemHandlers(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((thrown: FastifyError, request, reply) => {
    const error = thrown instanceof TransientError ? storeAway(thrown) : thrown;
    const { problem, headers } = toProblem(error, request);
    if (error instanceof HttpProblem && error.refusal) {
      // Turned away on purpose (shed, limited, queue away) or refused by the queue: counted and logged by refusals.ts.
      const cause = error.cause instanceof Error ? error.cause.message : undefined;
      request.refusedFor = { reason: error.slug, ...(cause === undefined ? {} : { cause }) };
    } else if (problem.status >= 500) {
      logger.error({ err: error, status: problem.status }, 'request failed');
    }
    return sendProblem(reply, problem, headers);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problemOf(404, `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`, request)),
  );
}

/**
 * A dependency away for now (the store restarting, say) is a 503 with Retry-After, as a shed request
 * is: the client is told to come back, not that the server broke. Only reads reach here this way: a
 * write's queue failure is answered where it happens (wish-routes.ts).
 */
function storeAway(error: TransientError): HttpProblem & FastifyError {
  return HttpProblem.retryLater({
    status: 503,
    slug: 'store-unavailable',
    detail: 'the wishes cannot be read for a moment; please retry shortly',
    retryAfterSeconds: 2,
    cause: error,
  }) as HttpProblem & FastifyError;
}

function toProblem(
  error: FastifyError,
  request: FastifyRequest,
): { problem: Problem; headers: Record<string, string> } {
  if (error instanceof HttpProblem) {
    return {
      problem: {
        type: `/problems/${error.slug}`,
        title: error.title,
        status: error.status,
        detail: error.message,
        instance: request.url,
      },
      headers: { ...error.headers },
    };
  }
  if (error instanceof AuthError) {
    // One type per reason, so clients (the page) can word each in their own terms.
    return {
      problem: { ...problemOf(401, error.message, request), type: passProblemType(error.problem) },
      headers: { 'www-authenticate': 'Bearer realm="exodus"' },
    };
  }
  if (error instanceof ValidationError) {
    return {
      problem: {
        ...problemOf(400, error.message, request),
        type: '/problems/invalid-wish',
        title: 'Invalid request',
        errors: error.problems,
      },
      headers: {},
    };
  }
  if (error.validation) {
    // Schema errors from Fastify's own validator (query strings, params): name each field.
    const errors = error.validation.map((issue) => ({
      field: fieldName(
        issue.instancePath,
        (issue.params as { missingProperty?: string }).missingProperty,
        error.validationContext,
      ),
      reason: issue.message ?? 'is invalid',
    }));
    return {
      problem: {
        ...problemOf(400, errors.map((e) => `${e.field}: ${e.reason}`).join('; '), request),
        title: 'Invalid request',
        errors,
      },
      headers: {},
    };
  }
  const status =
    typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  return {
    problem: problemOf(status, status >= 500 ? 'the request could not be completed' : error.message, request),
    headers: {},
  };
}

function problemOf(status: number, detail: string, request: FastifyRequest): Problem {
  const [slug, title] = TITLES[status] ?? ['error', 'Error'];
  return { type: `/problems/${slug}`, title, status, detail, instance: request.url };
}

function fieldName(instancePath: string, missing: string | undefined, context: string | undefined): string {
  const path = [instancePath.replace(/^\//, '').replace(/\//g, '.'), missing].filter(Boolean).join('.');
  return path || (context ?? 'request');
}
