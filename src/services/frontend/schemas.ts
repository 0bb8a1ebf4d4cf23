import { DESTINATIONS, LIMITS } from '../../domain/index.js';

/**
 * JSON Schemas of the API, for the OpenAPI document and for validating query strings. The wish body
 * itself is checked by the domain's `checkSubmission` (one rule set for the API and the parser).
 */
const problem = { $ref: 'Problem#' } as const;

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, reason: { type: 'string' } } },
    },
  },
} as const;

const destination = { type: 'string', enum: [...DESTINATIONS] } as const;

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
    202: {
      description: 'Accepted: the intake queue holds the wish durably',
      type: 'object',
      properties: {
        id: { type: 'string' },
        status: { type: 'string', enum: ['pending'] },
        evacueeId: { type: 'string' },
        destination,
        submittedAt: { type: 'string', format: 'date-time' },
        statusUrl: { type: 'string' },
      },
    },
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

export const wishStatusSchema = {
  summary: 'Where a wish is: pending, stored, rejected (with reason) or superseded',
  params: { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] },
  response: {
    200: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        status: { type: 'string', enum: ['pending', 'stored', 'rejected', 'superseded'] },
        reason: { type: 'string' },
        evacueeId: { type: 'string' },
        destination,
        submittedAt: { type: 'string' },
        arrivalDate: { type: 'string' },
        markupFlagged: {
          type: 'boolean',
          description: 'the text looks like markup: kept and shown as text, reported as an injection attempt',
        },
      },
    },
    404: problem,
    429: problem,
    503: problem,
  },
} as const;

export const wallSchema = {
  summary: 'The current wish of each evacuee, newest first',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      destination,
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      cursor: { type: 'string', maxLength: 200 },
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
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
        next: { type: ['string', 'null'] },
      },
    },
    400: problem,
    429: problem,
    503: problem,
  },
} as const;

export const tallySchema = {
  summary: 'Evacuees with a stored current wish, by destination',
  response: {
    200: { type: 'object', properties: { mars: { type: 'integer' }, europa: { type: 'integer' } } },
    429: problem,
    503: problem,
  },
} as const;
