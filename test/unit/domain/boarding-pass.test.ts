import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AuthError,
  isPassShaped,
  issuePass,
  passProblemOf,
  passProblemType,
  verifyPass,
} from '../../../src/domain/index.js';

const SECRET = 'a-test-secret-of-enough-length';
const TOMORROW = new Date(Date.now() + 86_400_000);

describe('boarding pass', () => {
  it('verifies to the evacuee it was issued to', () => {
    expect(verifyPass(SECRET, issuePass(SECRET, 'EV-00042', TOMORROW))).toBe('EV-00042');
  });

  it('cannot be forged for another evacuee by swapping the id', () => {
    const mine = issuePass(SECRET, 'EV-00001', TOMORROW);
    const forged = mine.replace('EV-00001', 'EV-00002');
    expect(() => verifyPass(SECRET, forged)).toThrow(AuthError);
  });

  it('is bound to the secret of the deployment that issued it', () => {
    expect(() => verifyPass('another-secret-entirely', issuePass(SECRET, 'EV-00001', TOMORROW))).toThrow(/signature/);
  });

  it('expires: valid until its expiry, refused after it with the time it expired', () => {
    const expiresAt = new Date('2045-03-01T12:00:00Z');
    const pass = issuePass(SECRET, 'EV-00007', expiresAt);
    expect(verifyPass(SECRET, pass, new Date('2045-03-01T11:59:59Z'))).toBe('EV-00007');
    expect(() => verifyPass(SECRET, pass, expiresAt)).toThrow(/expired at 2045-03-01T12:00:00/);
  });

  it('cannot have its expiry extended by its holder', () => {
    const [id, expiry, signature] = issuePass(SECRET, 'EV-00007', new Date('2045-03-01T12:00:00Z')).split('.');
    const later = (parseInt(expiry ?? '', 36) + 86_400).toString(36);
    expect(() => verifyPass(SECRET, `${id}.${later}.${signature}`, new Date('2045-03-02T00:00:00Z'))).toThrow(
      /signature/,
    );
  });

  it('says why, so clients can word it: malformed, invalid (forged or tampered), expired', () => {
    const problemOf = (pass: string, now?: Date): string | undefined => {
      try {
        verifyPass(SECRET, pass, now);
        return undefined;
      } catch (error) {
        return error instanceof AuthError ? error.problem : 'not an AuthError';
      }
    };
    const pass = issuePass(SECRET, 'EV-00007', new Date('2045-03-01T12:00:00Z'));
    expect(problemOf('EV-00007 is me')).toBe('malformed');
    expect(problemOf(`${pass}é`)).toBe('malformed');
    expect(problemOf(pass.slice(0, -1))).toBe('malformed');
    expect(problemOf(`x${pass}`)).toBe('malformed');
    expect(problemOf(`${pass}A`)).toBe('malformed');
    expect(isPassShaped(pass)).toBe(true);
    expect(
      problemOf(
        issuePass('another-secret-entirely', 'EV-00007', new Date('2045-03-01T12:00:00Z')),
        new Date('2045-01-01'),
      ),
    ).toBe('invalid');
    expect(problemOf(pass, new Date('2045-03-02'))).toBe('expired');
    expect(problemOf(pass, new Date('2045-01-01'))).toBeUndefined();
  });

  it('each refusal has a problem type of its own, which reads back to the refusal', () => {
    for (const problem of ['missing', 'malformed', 'invalid', 'expired'] as const)
      expect(passProblemOf(passProblemType(problem))).toBe(problem);
    expect(passProblemType('expired')).toBe('/problems/pass-expired');
    expect(passProblemOf('/problems/rate-limited')).toBeUndefined();
    expect(passProblemOf(undefined)).toBeUndefined();
  });

  it('rejects anything malformed with an AuthError, never another exception', () => {
    fc.assert(
      fc.property(fc.string(), (junk) => {
        try {
          verifyPass(SECRET, junk);
          return false;
        } catch (error) {
          return error instanceof AuthError;
        }
      }),
    );
  });
});
