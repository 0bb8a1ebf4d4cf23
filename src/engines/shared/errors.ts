/**
 * What every engine does with a driver's errors: gives them the domain's retry meaning
 * (`TransientError`, `PermanentError`, `MessageRefusedError`) by the engine's own `classify`, in
 * one place per call, so no caller sees a raw driver error.
 */

/** Socket-level failures: the server is down, restarting, or unreachable for now. A retry may pass. */
export const SOCKET_OUTAGE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Runs `work`, throwing whatever it throws as `classify` makes it. */
export async function withClassifiedErrors<T>(
  work: () => Promise<T>,
  classify: (error: unknown) => unknown,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw classify(error);
  }
}
