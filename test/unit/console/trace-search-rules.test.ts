import { describe, expect, it } from 'vitest';
import { parseAttributeMatch, parseAttributeMatches } from '../../../src/services/console/attribute-query.js';
import { hidesLoneNoise, LONE_NOISE } from '../../../src/services/console/trace-noise.js';
import { splitAttributeTerms } from '../../../web/console/attribute-terms.js';

describe('attribute search terms', () => {
  it('splits key=value at the first "=": a value may hold "=" and spaces; the key is trimmed', () => {
    expect(parseAttributeMatch('http.response.status_code=503')).toEqual({
      key: 'http.response.status_code',
      value: '503',
    });
    expect(parseAttributeMatch(' url.query=a=b c')).toEqual({ key: 'url.query', value: 'a=b c' });
    expect(() => parseAttributeMatch('=503')).toThrow(RangeError);
    expect(() => parseAttributeMatch('no-equals')).toThrow(RangeError);
    expect(parseAttributeMatches(undefined)).toEqual([]);
    expect(parseAttributeMatches(['a=1', 'b=2'])).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
  });

  it('the page splits what was typed into terms where a new key= begins, so values may hold spaces', () => {
    expect(splitAttributeTerms('http.response.status_code=503 messaging.destination.name=wishes')).toEqual([
      'http.response.status_code=503',
      'messaging.destination.name=wishes',
    ]);
    expect(splitAttributeTerms('  exception.message=store unreachable now  ')).toEqual([
      'exception.message=store unreachable now',
    ]);
    expect(splitAttributeTerms('a=1,b=2')).toEqual(['a=1,b=2']);
    expect(splitAttributeTerms('   ')).toEqual([]);
  });
});

describe('one-span receive and scrape traces are noise', () => {
  it('names a consumer receive by its prefix and the scrape by its name', () => {
    expect(LONE_NOISE.prefixes).toContain('receive ');
    expect(LONE_NOISE.names).toContain('GET /metrics');
  });

  it('a search leaves them out unless asked for; a search by wish, evacuee or trace id never does', () => {
    expect(hidesLoneNoise({})).toBe(true);
    expect(hidesLoneNoise({ all: false })).toBe(true);
    expect(hidesLoneNoise({ all: true })).toBe(false);
    expect(hidesLoneNoise({ wish: '0190a1b2' })).toBe(false);
    expect(hidesLoneNoise({ evacuee: 'EV-1' })).toBe(false);
    expect(hidesLoneNoise({ trace: '4bf92f35' })).toBe(false);
  });
});
