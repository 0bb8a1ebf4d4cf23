import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { looksLikeMarkup, parseWish, type AcceptedWish } from '../../../src/domain/index.js';
import { MARKUP_VECTORS, NON_MARKUP_VECTORS } from '../../../testkit/index.js';

describe('looksLikeMarkup', () => {
  it('flags every XSS vector that holds markup, whatever its case, finished or broken', () => {
    for (const vector of MARKUP_VECTORS) expect(looksLikeMarkup(vector), vector).toBe(true);
    for (const vector of NON_MARKUP_VECTORS) expect(looksLikeMarkup(vector), vector).toBe(false);
    for (const vector of [
      '<IMG SRC=JaVaScRiPt:alert(1)>',
      '<ScRiPt>x',
      '</SCRIPT>',
      '<svg/onload=alert(1)',
      '<x-card onclick=go()>',
      '<x onclick=alert(1)',
      '<x-link href=" java\tscript:x">',
      '<x-link href="VBScript:x">',
      '<x-link href="&#106;avascript:x">',
      '<xmp>',
      '<image src=x>',
      '<!-- hi -->',
      '<?php ?>',
    ]) {
      expect(looksLikeMarkup(vector), vector).toBe(true);
    }
  });

  it('does not flag ordinary prose with < in it', () => {
    for (const prose of [
      'Mum <mum@example.org>',
      'I <3 you',
      'x <y and never forget',
      'a < b and c > d',
      '2<3',
      '<<<',
      'the <unknown> tag',
      '→ <- ←',
      '<x-card mode="javascript">',
      '<x-link title="see javascript: docs">',
      '<x-card data-on=1>',
      'on=1 <3',
      '<x-card>one=2</x-card>',
    ]) {
      expect(looksLikeMarkup(prose), prose).toBe(false);
    }
  });

  it('flags an element tag inside any sentence, in any letter case', () => {
    const tag = fc
      .constantFrom('b', 'i', 'img', 'script', 'svg', 'iframe', 'a', 'p')
      .chain((name) =>
        fc
          .tuple(fc.constantFrom(name, name.toUpperCase()), fc.constantFrom('>', ' src=x>', '/>', ' '))
          .map(([n, end]) => `<${n}${end}`),
      );
    fc.assert(
      fc.property(fc.string(), tag, fc.string(), (before, markup, after) =>
        looksLikeMarkup(`${before}${markup}${after}`),
      ),
      { numRuns: 1000 },
    );
  });

  it('the parser flags such a wish and keeps its text exactly', () => {
    const wish: AcceptedWish = {
      id: '0190a000-0000-7000-8000-000000000001',
      evacueeId: 'EV-00001',
      submittedAt: '2045-03-01T10:00:00.000Z',
      destination: 'mars',
      message: 'plain',
      to: '<b>Mum</b>',
    };
    expect(parseWish(wish)).toMatchObject({
      ok: true,
      wish: { message: 'plain', to: '<b>Mum</b>', markupFlagged: true },
    });
    expect(parseWish({ ...wish, to: 'Mum' })).toMatchObject({ ok: true, wish: { markupFlagged: false } });
  });
});
