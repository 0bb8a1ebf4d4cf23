import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containsMarkup, sanitise } from '../../../src/domain/index.js';
import { XSS_VECTORS, naughtyStrings } from '../../support/naughty-strings.js';

// Strings rich in the characters that make markup and entities, so the properties meet hard cases often.
const markupish = fc.string({
  unit: fc.oneof(
    fc.constantFrom('<', '>', '/', '!', '?', '&', ';', '"', "'", '=', ' ', '\n', '\u0000', '\u202E', 'é', 'e\u0301'),
    fc.constantFrom('script', 'img', 'svg', 'a', 'b', 'lt', 'gt', '#60', '#x3c', 'amp', 'onerror', 'javascript:', '<!--', '-->', '<![CDATA['),
    fc.string({ maxLength: 3 }),
  ),
  maxLength: 60,
});

describe('sanitise', () => {
  it('never emits markup', () => {
    fc.assert(fc.property(markupish, (input) => !containsMarkup(sanitise(input).text)), { numRuns: 3000 });
  });

  it('is stable: sanitising its own output changes nothing', () => {
    fc.assert(
      fc.property(markupish, (input) => {
        const once = sanitise(input).text;
        const twice = sanitise(once);
        return twice.text === once && !twice.markupRemoved;
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves plain text alone, including characters that only look dangerous', () => {
    for (const text of ['I <3 you', 'a < b and c > d', 'Fish &amp; chips', '2 > 1', 'Ünïcödé 🚀 Марс']) {
      expect(sanitise(text)).toEqual({ text, markupRemoved: false });
    }
  });

  it('turns markup into its text and says so', () => {
    expect(sanitise('Look after <b>the cat</b>')).toEqual({ text: 'Look after the cat', markupRemoved: true });
    expect(sanitise('<script>alert(1)</script>bye')).toEqual({ text: 'bye', markupRemoved: true });
    expect(sanitise('<img src=x onerror=alert(1)>')).toEqual({ text: '', markupRemoved: true });
    // Entities that decode into a tag are markup too, and go the same way.
    expect(sanitise('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>ok').text).toBe('ok');
  });

  it('normalises Unicode to NFC and drops control and bidi-override characters', () => {
    expect(sanitise('e\u0301').text).toBe('\u00e9');
    expect(sanitise('a\u0000b\u202Ec\u0007').text).toBe('abc');
    expect(sanitise(' line1\r\nline2\t ').text).toBe('line1\nline2');
  });

  it('leaves no markup in, and is stable on, every naughty string and XSS vector', () => {
    const corpus = [...naughtyStrings(), ...XSS_VECTORS];
    expect(corpus.length).toBeGreaterThan(500);
    for (const input of corpus) {
      const once = sanitise(input).text;
      expect(containsMarkup(once), input).toBe(false);
      expect(sanitise(once).text, input).toBe(once);
    }
  });
});
