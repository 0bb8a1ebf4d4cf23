import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, otlpExport, parseDurationMs } from '../../../src/runtime/index.js';
import { tempDir } from '../../../testkit/index.js';

describe('configuration', () => {
  it('defaults let a hall in: no address limit on good writes or reads, failed passes limited per address', () => {
    expect(loadConfig({}, { EXODUS_DATA: tempDir() }).frontDoor).toMatchObject({
      ipFailedWritesPerMinute: 120,
      evacueeWritesPerMinute: 6,
      ipReadsPerMinute: 0,
    });
  });

  it('a retired setting stops start-up with one line saying what replaced it, rather than being ignored', () => {
    const load = () => loadConfig({}, { EXODUS_DATA: tempDir(), EXODUS_IP_WRITES_PER_MINUTE: '120' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^EXODUS_IP_WRITES_PER_MINUTE is gone: .*EXODUS_IP_FAILED_WRITES_PER_MINUTE/);
  });

  it('traces: 20 new ones a second per process by default, 0 for all, from the flag or EXODUS_TRACES_PER_SECOND', () => {
    const dir = tempDir();
    expect(loadConfig({}, { EXODUS_DATA: dir }).tracesPerSecond).toBe(20);
    expect(loadConfig({}, { EXODUS_DATA: dir, EXODUS_TRACES_PER_SECOND: '0' }).tracesPerSecond).toBe(0);
    expect(
      loadConfig({ 'traces-per-second': '500' }, { EXODUS_DATA: dir, EXODUS_TRACES_PER_SECOND: '0' }).tracesPerSecond,
    ).toBe(500);
    expect(() => loadConfig({ 'traces-per-second': 'lots' }, { EXODUS_DATA: dir })).toThrow(
      '--traces-per-second / EXODUS_TRACES_PER_SECOND must be an integer',
    );
  });

  it('a bad value names its flag and variable', () => {
    expect(() => loadConfig({ 'ip-failed-writes-per-minute': '-1' }, { EXODUS_DATA: tempDir() })).toThrow(
      '--ip-failed-writes-per-minute / EXODUS_IP_FAILED_WRITES_PER_MINUTE must be an integer from 0 to 1000000, got "-1"',
    );
  });

  it('OTLP export: off without an endpoint; on with one, per signal; an unsupported protocol or interval is one clear line', () => {
    expect(otlpExport({})).toEqual({ spanProcessors: [], metricPush: undefined, logRecordProcessors: [] });
    const all = otlpExport({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
    expect([all.spanProcessors.length, Number(all.metricPush !== undefined), all.logRecordProcessors.length]).toEqual([
      1, 1, 1,
    ]);
    const tracesOnly = otlpExport({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    });
    expect([
      tracesOnly.spanProcessors.length,
      Number(tracesOnly.metricPush !== undefined),
      tracesOnly.logRecordProcessors.length,
    ]).toEqual([1, 0, 0]);
    const logsOnly = otlpExport({
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://127.0.0.1:4318/v1/logs',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
    });
    expect([
      logsOnly.spanProcessors.length,
      Number(logsOnly.metricPush !== undefined),
      logsOnly.logRecordProcessors.length,
    ]).toEqual([0, 0, 1]);
    expect(() =>
      otlpExport({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://x', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc' }),
    ).toThrow('OTEL_EXPORTER_OTLP_LOGS_PROTOCOL must be one of http/protobuf, http/json, got "grpc"');
    expect(() => otlpExport({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_BLRP_MAX_QUEUE_SIZE: '-5' })).toThrow(
      'OTEL_BLRP_MAX_QUEUE_SIZE must be a positive integer, got "-5"',
    );
    expect(() => otlpExport({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      'OTEL_EXPORTER_OTLP_PROTOCOL must be one of http/protobuf, http/json, got "grpc"',
    );
    expect(() => otlpExport({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_METRIC_EXPORT_INTERVAL: 'soon' })).toThrow(
      ConfigError,
    );
  });

  describe('the ops console', () => {
    const load = (flags: Record<string, string>, env: NodeJS.ProcessEnv = {}) =>
      loadConfig(flags, { EXODUS_DATA: tempDir(), ...env }).console;

    it('defaults: this machine only, port 3001, a day of telemetry, 256 MiB, alerts in earnest', () => {
      expect(load({})).toEqual({
        host: '127.0.0.1',
        port: 3001,
        retentionMs: 86_400_000,
        maxBytes: 256 * 1024 * 1024,
        alertSpeedup: 1,
      });
    });

    it('takes each setting from its flag or its EXODUS_ variable, the flag winning', () => {
      expect(
        load({
          'console-host': '0.0.0.0',
          'console-port': '4000',
          'console-retention': '90m',
          'console-max-mb': '10',
          'console-alert-speedup': '60',
        }),
      ).toEqual({
        host: '0.0.0.0',
        port: 4000,
        retentionMs: 90 * 60_000,
        maxBytes: 10 * 1024 * 1024,
        alertSpeedup: 60,
      });
      const fromEnv = {
        EXODUS_CONSOLE_PORT: '4001',
        EXODUS_CONSOLE_RETENTION: '7d',
        EXODUS_CONSOLE_HOST: '::',
        EXODUS_CONSOLE_MAX_MB: '1',
        EXODUS_CONSOLE_ALERT_SPEEDUP: '3600',
      };
      expect(load({}, fromEnv)).toEqual({
        host: '::',
        port: 4001,
        retentionMs: 7 * 86_400_000,
        maxBytes: 1024 * 1024,
        alertSpeedup: 3600,
      });
      expect(() => load({ 'console-alert-speedup': '0' })).toThrow(/console-alert-speedup/);
      expect(load({ 'console-retention': '30s' }, fromEnv).retentionMs).toBe(30_000);
    });

    it('a retention is a whole number and a unit; anything else, or out of range, is one line naming the setting', () => {
      for (const bad of ['24', 'h', '1.5h', '24 hours', '-1h', '0s', '366d', '1w']) {
        expect(() => load({ 'console-retention': bad }), bad).toThrow(
          `--console-retention / EXODUS_CONSOLE_RETENTION must be a duration from 1s to 365d, a whole number and a unit (s, m, h or d) like 90m or 7d, got "${bad}"`,
        );
      }
      expect(parseDurationMs('12h')).toBe(12 * 3_600_000);
      expect(parseDurationMs(' 5m ')).toBe(300_000);
      expect(parseDurationMs('5M')).toBeUndefined();
    });

    it('a bad port or size names its flag and variable', () => {
      expect(() => load({ 'console-port': '0' })).toThrow(
        '--console-port / EXODUS_CONSOLE_PORT must be an integer from 1 to 65535, got "0"',
      );
      expect(() => load({}, { EXODUS_CONSOLE_MAX_MB: 'lots' })).toThrow(
        '--console-max-mb / EXODUS_CONSOLE_MAX_MB must be an integer from 1 to 1000000, got "lots"',
      );
    });
  });
});
