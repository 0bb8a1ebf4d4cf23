import { describe, expect, it } from 'vitest';
import {
  arrivalDate,
  checkSubmission,
  compareVersions,
  parseWish,
  ValidationError,
  type AcceptedWish,
} from '../../../src/domain/index.js';

const accepted = (overrides: Partial<AcceptedWish> = {}): AcceptedWish => ({
  id: '0190a000-0000-7000-8000-000000000001',
  evacueeId: 'EV-00001',
  submittedAt: '2045-03-01T10:00:00.000Z',
  destination: 'mars',
  message: 'Water the plants',
  ...overrides,
});

describe('checkSubmission', () => {
  it('names every bad field at once', () => {
    try {
      checkSubmission({ destination: 'venus', to: 5, message: '' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).problems.map((p) => p.field)).toEqual(['destination', 'to', 'message']);
    }
  });

  it('counts characters as people do (code points), at the limits', () => {
    expect(() => checkSubmission({ destination: 'mars', message: '🚀'.repeat(2000) })).not.toThrow();
    expect(() => checkSubmission({ destination: 'mars', message: 'x'.repeat(2001) })).toThrow(/at most 2000/);
    expect(() => checkSubmission({ destination: 'europa', to: 'y'.repeat(121), message: 'hi' })).toThrow(
      /to: must be at most 120/,
    );
  });

  it('refuses a body that is not an object', () => {
    for (const body of [['mars'], null, 'a wish', 42])
      expect(() => checkSubmission(body)).toThrow('(body): must be a JSON object');
  });

  it('says what a destination must be, and leaves out a recipient that was not given', () => {
    expect(() => checkSubmission({ destination: 'venus', message: 'hi' })).toThrow(
      'destination: must be one of mars, europa',
    );
    expect(Object.keys(checkSubmission({ destination: 'mars', message: 'hi' }))).toEqual(['destination', 'message']);
  });
});

describe('parseWish', () => {
  it('screens a valid wish: the text as written, arrival date, content hash, markup flag', () => {
    const outcome = parseWish(accepted({ message: 'Hello <i>Earth</i>', to: ' Mum ' }));
    expect(outcome).toMatchObject({
      ok: true,
      wish: { message: 'Hello <i>Earth</i>', to: ' Mum ', markupFlagged: true, arrivalDate: '2045-12-01' },
    });
    if (outcome.ok) expect(outcome.wish.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('never rejects a wish for what it says: a message that is nothing but markup is kept and flagged', () => {
    expect(parseWish(accepted({ message: '<script>alert(1)</script>' }))).toMatchObject({
      ok: true,
      wish: { message: '<script>alert(1)</script>', markupFlagged: true },
    });
  });

  it('rejects, with the reason, a wish from outside the front door that it would have refused', () => {
    expect(parseWish(accepted({ message: 'a\u202Eb' }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^message: character 2 \(U\+202E\) is a bidi override/) as unknown,
    });
  });

  it('rejects with the field rules a wish that broke them', () => {
    expect(parseWish(accepted({ destination: 'venus' as 'mars' }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^destination/) as unknown,
    });
  });
});

describe('versions and transit', () => {
  it('orders by submittedAt, then id', () => {
    const a = { id: 'b', submittedAt: '2045-01-01T00:00:00.000Z' };
    const b = { id: 'a', submittedAt: '2045-01-01T00:00:00.001Z' };
    const c = { id: 'c', submittedAt: '2045-01-01T00:00:00.001Z' };
    expect(compareVersions(a, b)).toBeLessThan(0);
    expect(compareVersions(c, b)).toBeGreaterThan(0);
    expect(compareVersions(b, b)).toBe(0);
    // Same time: the smaller id is older, whichever side it is on.
    expect(compareVersions(b, c)).toBeLessThan(0);
  });

  it('arrives 9 months later on Mars and 72 on Europa', () => {
    expect(arrivalDate('2045-06-15T12:00:00Z', 'mars')).toBe('2046-03-15');
    expect(arrivalDate('2045-06-15T12:00:00Z', 'europa')).toBe('2051-06-15');
  });
});
