import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthError, issuePass, verifyPass } from '../../../src/domain/index.js';

const SECRET = 'a-test-secret-of-enough-length';

describe('boarding pass', () => {
  it('verifies to the evacuee it was issued to', () => {
    expect(verifyPass(SECRET, issuePass(SECRET, 'EV-00042'))).toBe('EV-00042');
  });

  it('cannot be forged for another evacuee by swapping the id', () => {
    const mine = issuePass(SECRET, 'EV-00001');
    const forged = mine.replace('EV-00001', 'EV-00002');
    expect(() => verifyPass(SECRET, forged)).toThrow(AuthError);
  });

  it('is bound to the secret of the deployment that issued it', () => {
    expect(() => verifyPass('another-secret-entirely', issuePass(SECRET, 'EV-00001'))).toThrow(/signature/);
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
