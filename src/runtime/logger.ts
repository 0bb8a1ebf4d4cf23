import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * JSON logs with the active trace and span ids on every line, so a log line leads to its trace.
 * Never log wish text, boarding passes or secrets: handlers log ids and outcomes only, and the
 * redaction below is a second fence for headers that might slip in.
 */
export function createLogger(service: string, level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.passSecret', 'message', 'data.message'], censor: '[redacted]' },
      mixin() {
        const span = trace.getActiveSpan()?.spanContext();
        return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
      },
    },
    destination,
  );
}
