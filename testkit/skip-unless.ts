/**
 * Tests that need something a fresh machine may lack (a browser, a server) skip with a clear reason,
 * except in CI, where `EXODUS_REQUIRE_SERVICES=1` turns the skip into a failure.
 */
export const SERVICES_REQUIRED = process.env['EXODUS_REQUIRE_SERVICES'] === '1';

/** True when the suite must be skipped: `available` is false and skipping is allowed. */
export function skipUnless(available: boolean, reason: string): boolean {
  if (available) return false;
  if (SERVICES_REQUIRED) throw new Error(`EXODUS_REQUIRE_SERVICES=1 but ${reason}`);
  console.warn(`skipping: ${reason}`);
  return true;
}
