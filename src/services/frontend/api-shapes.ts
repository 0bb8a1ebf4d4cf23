import { DESTINATIONS, LIMITS, WISH_STATUSES } from '../../domain/browser.js';
import type { WireShape } from '../shared/wire-shape.js';

/**
 * The API's shapes, declared once: the JSON Schemas Fastify validates and serialises with (and the
 * OpenAPI document shows), and the TypeScript types derived from them (`FromSchema`), which the
 * routes answer with and the page and the load tool read. The wish body itself is checked by the
 * domain's `checkSubmission` (one rule set for the API and the parser).
 *
 * The page bundles nothing from here: it imports the types only (a dependency rule holds it to that).
 */

const destination = { type: 'string', enum: DESTINATIONS } as const;
const problem = { $ref: 'Problem#' } as const;

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'detail'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', description: 'what clients branch on: /problems/<slug>' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'for people' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      description: 'each bad field, with why',
      items: {
        type: 'object',
        required: ['field', 'reason'],
        additionalProperties: false,
        properties: { field: { type: 'string' }, reason: { type: 'string' } },
      },
    },
  },
} as const;
export type Problem = WireShape<typeof problemSchema>;

const acceptedSchema = {
  description: 'Accepted: the intake queue holds the wish durably',
  type: 'object',
  required: ['id', 'status', 'evacueeId', 'destination', 'submittedAt', 'statusUrl'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['pending'] },
    evacueeId: { type: 'string' },
    destination,
    submittedAt: { type: 'string', format: 'date-time' },
    statusUrl: { type: 'string' },
  },
} as const;
/** A 202: the wish is queued durably (it may still be refused by the parser: ask `statusUrl`). */
export type Accepted = WireShape<typeof acceptedSchema>;

export const submitWishSchema = {
  summary: 'Submit or replace your last wish',
  security: [{ boardingPass: [] }],
  headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 200 } } },
  body: {
    type: 'object',
    required: ['destination', 'message'],
    additionalProperties: false,
    properties: {
      destination,
      to: { type: 'string', maxLength: LIMITS.toMaxChars },
      message: { type: 'string', minLength: 1, maxLength: LIMITS.messageMaxChars },
    },
  },
  response: {
    202: acceptedSchema,
    400: problem,
    401: problem,
    413: problem,
    415: problem,
    429: problem,
    // `/problems/wish-refused-by-queue`: the queue refused this wish for what it holds (no Retry-After).
    500: problem,
    503: problem,
  },
} as const;

const wishStateSchema = {
  type: 'object',
  required: ['id', 'status'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: WISH_STATUSES },
    reason: { type: 'string', description: 'why it was rejected' },
    evacueeId: { type: 'string' },
    destination,
    submittedAt: { type: 'string' },
    arrivalDate: { type: 'string' },
    markupFlagged: {
      type: 'boolean',
      description: 'the text looks like markup: kept and shown as text, reported as an injection attempt',
    },
  },
} as const;
/** Where a wish is; a pending one the store has not seen yet is its id and status only. */
export type WishState = WireShape<typeof wishStateSchema>;

const wishIdParams = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 100 } },
  required: ['id'],
  additionalProperties: false,
} as const;
export type WishIdParams = WireShape<typeof wishIdParams>;

export const wishStatusSchema = {
  summary: 'Where a wish is: pending, stored, rejected (with reason) or superseded',
  params: wishIdParams,
  response: { 200: wishStateSchema, 404: problem, 429: problem, 503: problem },
} as const;

const wallQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    destination,
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    cursor: { type: 'string', maxLength: 200 },
  },
} as const;
/** The wall's query after validation: `limit` is always there (its default fills it in). */
export type WallQuery = WireShape<typeof wallQuerySchema>;

const wallPageSchema = {
  type: 'object',
  required: ['items', 'next'],
  additionalProperties: false,
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'evacueeId', 'destination', 'message', 'submittedAt', 'arrivalDate'],
        additionalProperties: false,
        properties: {
          id: { type: 'string' },
          evacueeId: { type: 'string' },
          destination,
          to: { type: 'string' },
          message: { type: 'string' },
          submittedAt: { type: 'string' },
          arrivalDate: { type: 'string' },
        },
      },
    },
    next: { type: ['string', 'null'], description: 'the cursor of the next page; null on the last' },
  },
} as const;
export type WallPage = WireShape<typeof wallPageSchema>;

export const wallSchema = {
  summary: 'The current wish of each evacuee, newest first',
  querystring: wallQuerySchema,
  response: { 200: wallPageSchema, 400: problem, 429: problem, 503: problem },
} as const;

const tallyAnswerSchema = {
  type: 'object',
  required: DESTINATIONS,
  additionalProperties: false,
  properties: { mars: { type: 'integer' }, europa: { type: 'integer' } },
} as const;
/** Evacuees with a stored current wish, by destination. */
export type TallyAnswer = WireShape<typeof tallyAnswerSchema>;

export const tallySchema = {
  summary: 'Evacuees with a stored current wish, by destination',
  response: { 200: tallyAnswerSchema, 429: problem, 503: problem },
} as const;

const canaryAnswerSchema = {
  type: 'object',
  required: ['last'],
  additionalProperties: false,
  properties: {
    last: {
      description: 'the newest canary wish the read model took; null before any',
      anyOf: [
        {
          type: 'object',
          required: ['id', 'submittedAt'],
          additionalProperties: false,
          properties: { id: { type: 'string' }, submittedAt: { type: 'string' } },
        },
        { type: 'null' },
      ],
    },
  },
} as const;
/** The synthetic canary's view of the read model (its wishes are noted there, never on the wall or in the tally). */
export type CanaryAnswer = WireShape<typeof canaryAnswerSchema>;

export const canarySchema = {
  summary:
    "The newest synthetic canary wish the read model took: how `exodus up`'s canary sees its wish arrive, from outside, though the wall and the tally never show it",
  response: { 200: canaryAnswerSchema, 429: problem, 503: problem },
} as const;
