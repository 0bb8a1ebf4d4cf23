/**
 * Tests that need something a fresh machine may lack (a browser, a server) skip with a clear reason,
 * except in CI, where `EXODUS_REQUIRE_SERVICES=1` turns the skip into a failure.
 */
import { connect } from 'node:net';

export const SERVICES_REQUIRED = process.env['EXODUS_REQUIRE_SERVICES'] === '1';

/** Whether something accepts TCP connections at host:port within a second. */
export function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port, timeout: 1000 });
    const finish = (ok: boolean): void => {
      socket.destroy();
      done(ok);
    };
    socket.once('connect', () => finish(true));
    socket.once('timeout', () => finish(false));
    socket.once('error', () => finish(false));
  });
}

/** True when the suite must be skipped: `available` is false and skipping is allowed. */
export function skipUnless(available: boolean, reason: string): boolean {
  if (available) return false;
  if (SERVICES_REQUIRED) throw new Error(`EXODUS_REQUIRE_SERVICES=1 but ${reason}`);
  console.warn(`skipping: ${reason}`);
  return true;
}
