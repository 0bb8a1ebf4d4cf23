import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, otlpExport } from '../../../src/runtime/index.js';
import { tempDir } from '../../support/system.js';

describe('configuration', () => {
  it('defaults let a hall in: no address limit on good writes or reads, failed passes limited per address', () => {
    expect(loadConfig({}, { EXODUS_DATA: tempDir() }).frontDoor).toMatchObject({ ipFailedWritesPerMinute: 120, evacueeWritesPerMinute: 6, ipReadsPerMinute: 0 });
  });

  it('a retired setting stops start-up with one line saying what replaced it, rather than being ignored', () => {
    const load = () => loadConfig({}, { EXODUS_DATA: tempDir(), EXODUS_IP_WRITES_PER_MINUTE: '120' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^EXODUS_IP_WRITES_PER_MINUTE is gone: .*EXODUS_IP_FAILED_WRITES_PER_MINUTE/);
  });

  it('a bad value names its flag and variable', () => {
    expect(() => loadConfig({ 'ip-failed-writes-per-minute': '-1' }, { EXODUS_DATA: tempDir() })).toThrow(
      '--ip-failed-writes-per-minute / EXODUS_IP_FAILED_WRITES_PER_MINUTE must be an integer from 0 to 1000000, got "-1"',
    );
  });

  it('OTLP export: off without an endpoint; on with one, per signal; an unsupported protocol or interval is one clear line', () => {
    expect(otlpExport({})).toEqual({ spanProcessors: [], metricReaders: [] });
    const both = otlpExport({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
    expect([both.spanProcessors.length, both.metricReaders.length]).toEqual([1, 1]);
    const tracesOnly = otlpExport({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' });
    expect([tracesOnly.spanProcessors.length, tracesOnly.metricReaders.length]).toEqual([1, 0]);
    expect(() => otlpExport({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow('OTEL_EXPORTER_OTLP_PROTOCOL must be one of http/protobuf, http/json, got "grpc"');
    expect(() => otlpExport({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_METRIC_EXPORT_INTERVAL: 'soon' })).toThrow(ConfigError);
  });
});
