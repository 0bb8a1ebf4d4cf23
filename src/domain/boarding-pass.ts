import { createHmac, timingSafeEqual } from 'node:crypto';
import { AuthError } from './errors.js';
import { isPassShaped } from './pass-shape.js';

/** How long a pass is valid when its issuer does not say: until boarding closes, roughly. */
export const DEFAULT_PASS_VALIDITY_DAYS = 30;

/**
 * A boarding pass is `<evacueeId>.<expiry>.<signature>`: the expiry in Unix seconds (base 36) and a
 * base64url HMAC-SHA256 over both, by the deployment's secret. Stateless and cheap to verify (a few
 * µs), so the front door needs no lookup. Only the holder of a pass can act as its evacuee, and only
 * until it expires.
 */
export function issuePass(secret: string, evacueeId: string, expiresAt: Date): string {
  const expiry = Math.floor(expiresAt.getTime() / 1000).toString(36);
  return `${evacueeId}.${expiry}.${sign(secret, evacueeId, expiry)}`;
}

/** Returns the evacuee id the pass was issued to, or throws `AuthError` saying why not. */
export function verifyPass(secret: string, pass: string, now: Date = new Date()): string {
  if (!isPassShaped(pass))
    throw new AuthError('malformed', 'this is not a boarding pass: a pass reads EV-00042.<expiry>.<signature>');
  const [evacueeId = '', expiry = '', signature = ''] = pass.split('.');
  // The shape makes the signature 43 base64url characters: always 32 bytes, as timingSafeEqual needs.
  const given = Buffer.from(signature, 'base64url');
  const expected = Buffer.from(sign(secret, evacueeId, expiry), 'base64url');
  if (!timingSafeEqual(given, expected)) {
    throw new AuthError('invalid', 'boarding pass signature is not valid');
  }
  // Checked after the signature: a forger learns nothing about expiries.
  const expiresAtMs = parseInt(expiry, 36) * 1000;
  if (!(expiresAtMs > now.getTime()))
    throw new AuthError('expired', `boarding pass expired at ${new Date(expiresAtMs).toISOString()}`);
  return evacueeId;
}

function sign(secret: string, evacueeId: string, expiry: string): string {
  return createHmac('sha256', secret).update(`exodus-pass:${evacueeId}:${expiry}`).digest('base64url');
}
