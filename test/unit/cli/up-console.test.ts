import { describe, expect, it } from 'vitest';
import { consoleBanner, consoleExportEnv, consoleUrl, withInstanceId } from '../../../src/cli/up-console.js';
import { loadConfig } from '../../../src/runtime/index.js';
import { STEP_MS as CHART_STEP_MS } from '../../../src/services/console/overview.js';
import { UP_MS } from '../../../src/services/console/services.js';
import { tempDir } from '../../../testkit/index.js';

const configWith = (flags: Record<string, string> = {}) => loadConfig(flags, { EXODUS_DATA: tempDir() });

describe('exodus up and its console', () => {
  it('points every process at the console with the token as API key, tuned for live views', () => {
    expect(consoleExportEnv('http://127.0.0.1:3001', 'tok', {})).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:3001',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=tok',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_METRIC_EXPORT_INTERVAL: '5000',
      EXODUS_METRIC_EXPORT_HEARTBEAT_MS: '15000',
      OTEL_BSP_SCHEDULE_DELAY: '1000',
    });
  });

  it("at rest, each process is still heard from once per step of the console's charts, and before it is called down", () => {
    const env = consoleExportEnv('http://127.0.0.1:3001', 'tok', {});
    const heartbeatMs = Number(env['EXODUS_METRIC_EXPORT_HEARTBEAT_MS']);
    expect(heartbeatMs).toBe(CHART_STEP_MS);
    // The first round of each step is sent: the longest silence is a step and a round.
    expect(heartbeatMs + Number(env['OTEL_METRIC_EXPORT_INTERVAL'])).toBeLessThan(UP_MS);
  });

  it("keeps the user's own tuning, and leaves export alone when the user chose an endpoint or there is no console", () => {
    expect(
      consoleExportEnv('http://127.0.0.1:3001', 'tok', {
        OTEL_METRIC_EXPORT_INTERVAL: '60000',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      }),
    ).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:3001',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=tok',
      EXODUS_METRIC_EXPORT_HEARTBEAT_MS: '15000',
      OTEL_BSP_SCHEDULE_DELAY: '1000',
    });
    expect(
      consoleExportEnv('http://127.0.0.1:3001', 'tok', { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.nr-data.net' }),
    ).toEqual({});
    expect(
      consoleExportEnv('http://127.0.0.1:3001', 'tok', {
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://collector:4318/v1/logs',
      }),
    ).toEqual({});
    expect(consoleExportEnv(undefined, 'tok', {})).toEqual({});
  });

  it("names each process in its resource, after the user's own attributes", () => {
    expect(withInstanceId(undefined, 'worker-2')).toBe('service.instance.id=worker-2');
    expect(withInstanceId('', 'worker-2')).toBe('service.instance.id=worker-2');
    expect(withInstanceId('deployment.environment=test', 'tally-1')).toBe(
      'deployment.environment=test,service.instance.id=tally-1',
    );
  });

  it('reaches a console bound to every address on loopback', () => {
    expect(consoleUrl(configWith())).toBe('http://127.0.0.1:3001');
    expect(consoleUrl(configWith({ 'console-host': '0.0.0.0', 'console-port': '4000' }))).toBe('http://127.0.0.1:4000');
    expect(consoleUrl(configWith({ 'console-host': '::' }))).toBe('http://[::1]:3001');
  });

  it('the banner gives the login link with the token and where the token lives', () => {
    const config = configWith();
    const [link, where] = consoleBanner(config, 'http://127.0.0.1:3001', 'abc', {});
    expect(link).toBe('  console     http://127.0.0.1:3001/login?token=abc');
    expect(where).toContain(`token in ${config.dataDir}/admin-token`);
    expect(consoleBanner(config, 'http://127.0.0.1:3001', 'abc', { EXODUS_ADMIN_TOKEN: 'abc' })[1]).toContain(
      'token from EXODUS_ADMIN_TOKEN',
    );
    expect(consoleBanner(config, undefined, '', {})).toEqual(['  console     off (--no-console)']);
  });
});
