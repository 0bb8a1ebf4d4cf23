import type { Envelope, EventType } from '../ports/index.js';
import { currentTraceContext } from './telemetry.js';

/** A CloudEvent carrying the active trace context; `id` should be stable per logical event (dedup). */
export function createEnvelope<T>(type: EventType, source: string, id: string, data: T): Envelope<T> {
  return {
    specversion: '1.0',
    id,
    source,
    type,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    ...currentTraceContext(),
    data,
  };
}
