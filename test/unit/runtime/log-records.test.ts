import { trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { beforeEach, describe, expect, it } from 'vitest';
import { createLogger, EVENT, stdoutAndRecords } from '../../../src/runtime/index.js';
// The kit starts the test process's telemetry when imported: tracing, with its context manager, is on.
import { LogCapture } from '../../../testkit/in-process.js';

describe('log lines as OTLP log records', () => {
  const exported = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: exported })] });
  let stdout: LogCapture;
  const logger = (level = 'debug') =>
    createLogger('worker', level, stdoutAndRecords(provider.getLogger('test'), stdout));
  beforeEach(() => {
    exported.reset();
    stdout = new LogCapture();
  });

  it('keeps writing the line to stdout, and makes it a record: severity, body, time, the other fields as attributes (nested ones flattened)', () => {
    logger().warn(
      {
        queue: 'store',
        attempt: 2,
        retry: { delayMs: 40, cause: { code: 'E1' } },
        tags: ['a', 'b'],
        err: new TypeError('boom'),
      },
      'handler failed',
    );
    expect(stdout.lines()).toEqual([expect.objectContaining({ level: 40, msg: 'handler failed', queue: 'store' })]);
    const [record] = exported.getFinishedLogRecords();
    expect(record).toMatchObject({ severityNumber: SeverityNumber.WARN, severityText: 'warn', body: 'handler failed' });
    expect(record?.attributes).toEqual({
      queue: 'store',
      attempt: 2,
      'retry.delayMs': 40,
      'retry.cause.code': 'E1',
      tags: ['a', 'b'],
      'err.type': 'TypeError',
      'err.message': 'boom',
      'err.stack': expect.stringContaining('TypeError: boom') as unknown,
    });
    expect(record?.hrTime[0]).toBe(Math.floor(Date.parse(String(stdout.lines()[0]?.['time'])) / 1000));
  });

  it('maps every pino level to its severity', () => {
    const log = logger('trace');
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.error('e');
    log.fatal('f');
    expect(exported.getFinishedLogRecords().map((r) => [r.severityNumber, r.severityText])).toEqual([
      [SeverityNumber.TRACE, 'trace'],
      [SeverityNumber.DEBUG, 'debug'],
      [SeverityNumber.INFO, 'info'],
      [SeverityNumber.ERROR, 'error'],
      [SeverityNumber.FATAL, 'fatal'],
    ]);
  });

  it('a line written in a span becomes a record in that span, so the record leads to its trace', () => {
    const log = logger();
    const ids = trace.getTracer('test').startActiveSpan('process store', (span) => {
      log.info({ wishId: 'w-1' }, 'wish stored');
      span.end();
      return span.spanContext();
    });
    const [record] = exported.getFinishedLogRecords();
    expect(record?.spanContext).toMatchObject({ traceId: ids.traceId, spanId: ids.spanId, traceFlags: ids.traceFlags });
    // The ids ride on the record, not among its attributes.
    expect(record?.attributes).toEqual({ wishId: 'w-1' });
  });

  it('a line outside any span has no trace context', () => {
    logger().info('started');
    expect(exported.getFinishedLogRecords()[0]?.spanContext).toBeUndefined();
  });

  it("a line with `event` is an event: `event.name` as attribute and as the record's event name", () => {
    logger().warn(
      { event: EVENT.deadLettered, queue: 'intake', messageId: 'm-1', code: 'poison_message' },
      'dead-lettering',
    );
    const [record] = exported.getFinishedLogRecords();
    expect(record?.eventName).toBe('message.dead_lettered');
    expect(record?.attributes).toEqual({
      'event.name': 'message.dead_lettered',
      queue: 'intake',
      messageId: 'm-1',
      code: 'poison_message',
    });
  });

  it('what the logger redacts is redacted in the record too', () => {
    logger().info(
      { message: 'my last wish', data: { message: 'again' }, headers: { authorization: 'Bearer pass' } },
      'oops',
    );
    const [record] = exported.getFinishedLogRecords();
    expect(JSON.stringify(record?.attributes)).not.toMatch(/last wish|again|Bearer/);
    expect(record?.attributes).toMatchObject({
      message: '[redacted]',
      'data.message': '[redacted]',
      'headers.authorization': '[redacted]',
    });
  });
});
