import { createHmac, timingSafeEqual } from 'node:crypto';
import { AuthError } from './errors.js';
import { isEvacueeId } from './evacuee.js';

/**
 * A boarding pass is `<evacueeId>.<base64url HMAC-SHA256(secret, evacueeId)>`: stateless and cheap to
 * verify (a few µs), so the front door needs no lookup. Only the holder of a pass can act as its evacuee.
 */
export function issuePass(secret: string, evacueeId: string): string {
  return `${evacueeId}.${sign(secret, evacueeId)}`;
}

/** Returns the evacuee id the pass was issued to, or throws `AuthError` saying why not. */
export function verifyPass(secret: string, pass: string): string {
  const dot = pass.lastIndexOf('.');
  if (dot <= 0) throw new AuthError('boarding pass is malformed');
  const evacueeId = pass.slice(0, dot);
  if (!isEvacueeId(evacueeId)) throw new AuthError('boarding pass names no valid evacuee');
  const given = Buffer.from(pass.slice(dot + 1), 'base64url');
  const expected = Buffer.from(sign(secret, evacueeId), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AuthError('boarding pass signature is not valid');
  }
  return evacueeId;
}

function sign(secret: string, evacueeId: string): string {
  return createHmac('sha256', secret).update(`exodus-pass:${evacueeId}`).digest('base64url');
}
