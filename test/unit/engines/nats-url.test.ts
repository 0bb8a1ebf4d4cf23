import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../../src/domain/index.js';
import { parseNatsUrl } from '../../../src/engines/nats/index.js';

describe('NATS engine URL', () => {
  it('names seed servers, a prefix and one replica by default', () => {
    expect(parseNatsUrl('nats://a:4222,b:4223, c:4224')).toEqual({
      servers: ['a:4222', 'b:4223', 'c:4224'],
      prefix: 'exodus',
      replicas: 1,
    });
  });

  it('takes replicas from 1 to 5, with a prefix or without', () => {
    expect(parseNatsUrl('nats://a:4222,b:4222,c:4222?replicas=3').replicas).toBe(3);
    expect(parseNatsUrl('nats://a:4222?prefix=lab&replicas=5')).toEqual({
      servers: ['a:4222'],
      prefix: 'lab',
      replicas: 5,
    });
    expect(parseNatsUrl('nats://a:4222?replicas=1&prefix=lab').replicas).toBe(1);
  });

  it.each(['0', '6', '10', '-1', '2.5', '3x', ' 3', '', 'three', '03', '1e0'])(
    'refuses replicas=%j with one line naming the allowed range',
    (value) => {
      const url = `nats://a:4222?replicas=${value}`;
      expect(() => parseNatsUrl(url)).toThrow(PermanentError);
      expect(() => parseNatsUrl(url)).toThrow(`bad NATS URL "${url}": replicas must be a whole number from 1 to 5`);
    },
  );

  it('refuses a parameter given twice rather than pick one', () => {
    expect(() => parseNatsUrl('nats://a:4222?replicas=3&replicas=1')).toThrow('"replicas" given more than once');
  });

  it('names the known parameters when given an unknown one', () => {
    expect(() => parseNatsUrl('nats://a:4222?replica=3')).toThrow(
      'unknown parameter "replica" (known: prefix, replicas)',
    );
  });
});
