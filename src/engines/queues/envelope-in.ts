import type { Envelope } from '../../ports/index.js';

/**
 * The envelope in a message body, or undefined when the body is not one (bytes someone sent to a
 * queue by hand): engines that can receive foreign bodies park those instead of failing on them.
 */
export function envelopeIn(body: string | undefined): Envelope | undefined {
  try {
    const parsed: unknown = JSON.parse(body ?? '');
    const id: unknown = typeof parsed === 'object' && parsed !== null ? (parsed as { id?: unknown }).id : undefined;
    return typeof id === 'string' && id !== '' ? (parsed as Envelope) : undefined;
  } catch {
    return undefined;
  }
}
