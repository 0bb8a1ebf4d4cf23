import { trace } from '@opentelemetry/api';
import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type * as PinoPretty from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * JSON logs with the active trace and span ids on every line, so a log line leads to its trace.
 * Never log wish text, boarding passes or secrets: handlers log ids and outcomes only, and the
 * redaction below is a second fence for headers that might slip in. A line with `event: <kind>`
 * (see EVENT in telemetry-names.ts) is an event: the console lists it. `destination`: stdout when
 * absent; `Telemetry.logDestination` also makes each line an OTLP log record.
 */
export function createLogger(service: string, level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', '*.passSecret', 'message', 'data.message'],
        censor: '[redacted]',
      },
      mixin() {
        const span = trace.getActiveSpan()?.spanContext();
        // trace_flags too, so a log record made from the line knows whether its trace was sampled.
        return span
          ? { trace_id: span.traceId, span_id: span.spanId, trace_flags: `0${span.traceFlags.toString(16)}`.slice(-2) }
          : {};
      },
    },
    destination,
  );
}

/**
 * Where a command's own log lines go: readable lines for a person at a terminal (or when asked with
 * `--log-format pretty`), else undefined: JSON on stdout, for machines (files, collectors, `| jq`).
 * Only the form changes; the OTLP records made from the lines are the same.
 */
export function logLinesFor(
  format: 'pretty' | 'json' | undefined,
  terminal: boolean = process.stdout.isTTY,
): pino.DestinationStream | undefined {
  if ((format ?? (terminal ? 'pretty' : 'json')) === 'json') return undefined;
  // Loaded only for a person's terminal: services log JSON and need not carry it.
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pretty.default({
    colorize: terminal,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,trace_id,span_id,trace_flags',
    singleLine: true,
  });
}
