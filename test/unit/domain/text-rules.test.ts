import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LIMITS,
  ValidationError,
  charCount,
  checkSubmission,
  findUnshowable,
  isBlank,
  parseWish,
  type AcceptedWish,
} from '../../../src/domain/index.js';
import { XSS_VECTORS, naughtyStrings } from '../../../testkit/index.js';

// Text as people and attackers write it: any code point, plus what makes Unicode and markup hard
// (combining marks, lone surrogates, controls, bidi controls, `<` before letters inside sentences).
const anyCodePoint = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
const combining = fc.integer({ min: 0x300, max: 0x36f }).map((c) => String.fromCodePoint(c));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const control = fc.constantFrom('\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009f', '\r', '\u000b', '\u000c');
const bidi = fc.constantFrom(
  '\u202a',
  '\u202b',
  '\u202c',
  '\u202d',
  '\u202e',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200e',
  '\u200f',
);
const allowedWhitespace = fc.constantFrom('\n', '\t', '\r\n', ' ');
const proseWithMarkup = fc
  .tuple(
    fc.constantFrom('Water the', 'if a', 'I', 'Tell Mum', 'x', 'the temperature x'),
    fc.constantFrom('<', '</', ' <', '<<', '&lt;', '＜'),
    fc.constantFrom(
      'b',
      'IMG SRC=JaVaScRiPt:alert(1)',
      'y and never forget',
      '3 you',
      'mum@example.org',
      'script>alert(1)</script',
      'ScRiPt',
    ),
    fc.constantFrom('>', '', '> roses', ' and c>d', '/>'),
  )
  .map((parts) => parts.join(''));
const text = fc.string({
  unit: fc.oneof(
    { weight: 8, arbitrary: anyCodePoint },
    { weight: 2, arbitrary: combining },
    { weight: 2, arbitrary: allowedWhitespace },
    { weight: 2, arbitrary: proseWithMarkup },
    { weight: 1, arbitrary: control },
    { weight: 1, arbitrary: bidi },
    { weight: 1, arbitrary: loneSurrogate },
  ),
  maxLength: 40,
});
/** The same, without what the wall cannot show honestly: what must always be accepted. */
const showable = text.filter((t) => findUnshowable(t) === undefined && !isBlank(t));

const submit = (message: string, to?: string) =>
  checkSubmission({ destination: 'mars', message, ...(to === undefined ? {} : { to }) });
const problemsOf = (run: () => unknown): { field: string; reason: string }[] => {
  try {
    run();
    return [];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return [...error.problems];
  }
};
const accepted = (message: string, to?: string): AcceptedWish => ({
  id: '0190a000-0000-7000-8000-000000000001',
  evacueeId: 'EV-00001',
  submittedAt: '2045-03-01T10:00:00.000Z',
  destination: 'mars',
  message,
  ...(to === undefined ? {} : { to }),
});

describe('a wish is what the evacuee wrote', () => {
  it('every showable text is accepted and kept exactly, in NFC, as message and as recipient', () => {
    fc.assert(
      fc.property(showable, showable, (message, to) => {
        const toKept = charCount(to) <= LIMITS.toMaxChars ? to : undefined;
        const submission = submit(message, toKept);
        expect(submission.message).toBe(message.normalize('NFC'));
        expect(submission.to).toBe(toKept?.normalize('NFC'));
        // The parser keeps it too: what is stored is what was accepted.
        const parsed = parseWish(accepted(submission.message, submission.to));
        expect(parsed.ok && parsed.wish.message).toBe(submission.message);
        expect(parsed.ok && parsed.wish.to).toBe(submission.to);
      }),
      { numRuns: 2000 },
    );
  });

  it('any text is either kept exactly (NFC) or refused naming the field, and only for the reasons it may be', () => {
    fc.assert(
      fc.property(text, (message) => {
        const problems = problemsOf(() => submit(message));
        const unshowable = findUnshowable(message);
        if (problems.length === 0) {
          expect(unshowable).toBeUndefined();
          expect(submit(message).message).toBe(message.normalize('NFC'));
        } else {
          expect(problems.map((p) => p.field)).toEqual(['message']);
          expect(unshowable !== undefined || isBlank(message)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('is stable: checking an accepted text again changes nothing', () => {
    fc.assert(
      fc.property(showable, (message) => {
        const once = submit(message).message;
        return submit(once).message === once;
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps what the old screening cut: addresses, comparisons, markup itself', () => {
    for (const message of [
      'Mum <mum@example.org>',
      'if a<b and c>d',
      'the temperature x <y and never forget we loved you all.',
      '<script>alert(1)</script>',
      'Look after <b>the cat</b>',
      '&lt;b&gt; is how you write <b>',
      'I <3 you',
      'Ünïcödé 🚀 Марс',
      'line1\r\nline2\ttabbed\n',
      '  spaces around  ',
    ]) {
      expect(submit(message).message, message).toBe(message);
    }
    expect(submit('cafe\u0301').message).toBe('caf\u00e9');
  });

  it('refuses, naming the field and the character, only what cannot be shown honestly', () => {
    const cases: [string, RegExp][] = [
      ['\ud800', /character 1 \(U\+D800\) is not valid Unicode/],
      ['ok \udc00 then', /character 4 \(U\+DC00\) is not valid Unicode/],
      ['e\u0000\u0301', /character 2 \(U\+0000\) is a control character/],
      ['bell\u0007', /U\+0007\) is a control character/],
      ['old mac line\rbreak', /U\+000D\) is a control character/],
      ['c1 \u0085', /U\+0085\) is a control character/],
      ['\u202Egnp.exe', /character 1 \(U\+202E\) is a bidi override/],
      ['🚀\u202D', /character 2 \(U\+202D\)/],
    ];
    for (const [message, reason] of cases) {
      expect(
        problemsOf(() => submit(message)),
        JSON.stringify(message),
      ).toEqual([{ field: 'message', reason: expect.stringMatching(reason) as unknown }]);
      expect(
        problemsOf(() => submit('fine', message)).map((p) => p.field),
        JSON.stringify(message),
      ).toEqual(['to']);
    }
  });

  it('keeps bidi isolates and marks: they group right-to-left text, they never reverse it', () => {
    for (const message of ['\u2067مرحبا\u2069 Earth', 'שלום\u200F!', 'open isolate \u2068 never closed'])
      expect(submit(message).message).toBe(message);
  });

  it('a blank message is no wish; an empty, blank or null recipient is no recipient', () => {
    expect(problemsOf(() => submit(''))).toEqual([{ field: 'message', reason: 'must not be empty' }]);
    expect(problemsOf(() => submit(' \n\t'))).toEqual([{ field: 'message', reason: 'must not be blank' }]);
    // Invisible characters alone show nothing either.
    expect(problemsOf(() => submit('\u200B\u2066 \uFEFF'))).toEqual([
      { field: 'message', reason: 'must not be blank' },
    ]);
    expect(submit('hi', '').to).toBeUndefined();
    expect(submit('hi', '   ').to).toBeUndefined();
    expect(checkSubmission({ destination: 'mars', message: 'hi', to: null }).to).toBeUndefined();
  });

  it('counts the limit on the NFC text, in code points', () => {
    expect(() => submit('e\u0301'.repeat(LIMITS.messageMaxChars))).not.toThrow();
    expect(submit('🚀'.repeat(LIMITS.messageMaxChars)).message).toHaveLength(2 * LIMITS.messageMaxChars);
  });

  it('refuses no string of the corpora for what it says: only the unshowable ones and the blank ones', () => {
    const corpus = [...naughtyStrings(), ...XSS_VECTORS];
    const refused = corpus.filter((s) => problemsOf(() => submit(s)).length > 0);
    expect(refused.filter((s) => !isBlank(s) && findUnshowable(s) === undefined)).toEqual([]);
    expect(refused.length).toBeLessThan(30);
  });
});
