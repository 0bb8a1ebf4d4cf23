import { describe, expect, it } from 'vitest';
import { PermanentError, asAcceptedWish, asParsedWish, contentHash } from '../../../src/domain/index.js';

const accepted = {
  id: '0190a000-0000-7000-8000-000000000001',
  evacueeId: 'EV-00001',
  submittedAt: '2045-03-01T10:00:00.000Z',
  destination: 'mars',
  message: 'hi',
};
const parsed = { ...accepted, arrivalDate: '2045-12-01', contentHash: 'x', markupFlagged: false };

/** The field a payload was refused for, read from the PermanentError's message. */
const refusal = (guard: (data: unknown) => unknown, data: unknown): string => {
  try {
    guard(data);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof PermanentError)) throw error;
    expect(error.code).toBe('poison_message');
    return error.message;
  }
};

describe('message guards: a payload without a wish’s identity is poison (dead-lettered), never half-read', () => {
  it('accepts a well-formed accepted or parsed wish as it is', () => {
    expect(asAcceptedWish(accepted)).toBe(accepted);
    expect(asParsedWish(parsed)).toBe(parsed);
  });

  it('names the first field that is missing or wrong', () => {
    const cases: [(data: unknown) => unknown, unknown, string][] = [
      [asAcceptedWish, null, 'data'],
      [asAcceptedWish, 'a string', 'data'],
      [asAcceptedWish, [accepted], 'data'],
      [asAcceptedWish, { ...accepted, id: '' }, 'id'],
      [asAcceptedWish, { ...accepted, id: 7 }, 'id'],
      [asAcceptedWish, { ...accepted, evacueeId: 'someone' }, 'evacueeId'],
      [asAcceptedWish, { ...accepted, evacueeId: 42 }, 'evacueeId'],
      [asAcceptedWish, { ...accepted, submittedAt: 'yesterday' }, 'submittedAt'],
      [asAcceptedWish, { ...accepted, submittedAt: 1 }, 'submittedAt'],
      [asParsedWish, { ...parsed, destination: 'venus' }, 'destination'],
      [asParsedWish, { ...parsed, message: 5 }, 'message'],
      [asParsedWish, { ...parsed, arrivalDate: undefined }, 'arrivalDate'],
    ];
    for (const [guard, data, field] of cases)
      expect(refusal(guard, data), JSON.stringify(data)).toBe(`message payload has no valid ${field}`);
  });
});

describe('contentHash: what an audit compares', () => {
  it('changes with every part of the content, and a missing recipient is not the word "null"', () => {
    const base = { destination: 'mars', message: 'hi' } as const;
    const hashes = [
      contentHash(base),
      contentHash({ ...base, to: 'Mum' }),
      contentHash({ ...base, to: 'null' }),
      contentHash({ ...base, message: 'hi!' }),
      contentHash({ ...base, destination: 'europa' }),
      contentHash({ destination: 'mars', message: 'hi', to: undefined }),
    ];
    expect(hashes[5]).toBe(hashes[0]);
    expect(new Set(hashes.slice(0, 5)).size).toBe(5);
    for (const hash of hashes) expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
