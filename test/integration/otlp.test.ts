import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openMessaging } from '../../src/engines/index.js';
import { QUEUES } from '../../src/ports/index.js';
import type { EventsResponse, ServicesResponse, TracesResponse } from '../../src/services/console/api-shapes.js';
import {
  freePort,
  generateRoster,
  killService,
  OtlpReceiver,
  postWish,
  startSystem,
  waitFor,
  wishStatus,
  type RunningSystem,
} from '../../testkit/index.js';
import { envelope } from '../contract/fixtures.js';

const PIPELINE = ['exodus-frontend', 'exodus-parser', 'exodus-worker', 'exodus-tally'];
/** Every consumer a process of its own, as `--replicas` makes them: each service is told apart in what it sends. */
const SPLIT = 'parser=1,worker=2,tally=1';

describe('OTLP export with the standard variables', () => {
  let system: RunningSystem | undefined;
  let receiver: OtlpReceiver | undefined;
  afterEach(async () => {
    await system?.stop();
    receiver?.close();
    system = undefined;
    receiver = undefined;
  });

  const otlpEnv = (endpoint: string): NodeJS.ProcessEnv => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_HEADERS: 'api-key=test-license-key',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
    OTEL_METRIC_EXPORT_INTERVAL: '500',
  });

  it('every service sends its spans and metrics, with the headers and resource attributes asked for; one trace spans them all', async () => {
    const vendor = (receiver = await OtlpReceiver.start());
    system = await startSystem({ env: otlpEnv(vendor.url), replicas: SPLIT });
    const [evacuee] = await generateRoster(system.dataDir, 1);
    const res = await postWish(system.url, evacuee?.pass ?? '', {
      destination: 'mars',
      message: 'traced to the vendor',
    });
    const { id } = (await res.json()) as { id: string };
    await waitFor(
      async () => (await wishStatus<{ status: string }>(system?.url ?? '', id)).status === 'stored',
      10_000,
      'never stored',
    );

    const spansOf = (service: string) => vendor.spans().filter((span) => span.service === service);
    await waitFor(
      () =>
        PIPELINE.every((service) =>
          spansOf(service).some((span) => span.name.startsWith('process') || span.name.startsWith('POST')),
        ),
      15_000,
      'not every service exported spans',
    );
    const post = spansOf('exodus-frontend').find((span) => span.name === 'POST /api/wishes');
    // The wish is findable by its ids on every hop (ids only).
    expect(post?.attributes).toMatchObject({ 'exodus.wish.id': id, 'exodus.evacuee.id': evacuee?.evacueeId });
    for (const [service, name] of [
      ['exodus-parser', 'process intake'],
      ['exodus-worker', 'process store'],
      ['exodus-tally', 'process tally'],
    ] as const) {
      const span = spansOf(service).find((s) => s.name === name && s.traceId === post?.traceId);
      expect(span, `${service} ${name} in the POST's trace`).toBeDefined();
      expect(span?.attributes).toMatchObject({ 'exodus.wish.id': id, 'exodus.evacuee.id': evacuee?.evacueeId });
    }
    const first = vendor.received.find((r) => r.path === '/v1/traces');
    expect(first?.headers['api-key']).toBe('test-license-key');
    expect(first?.body.resourceSpans?.[0]?.resource.attributes).toContainEqual({
      key: 'deployment.environment',
      value: { stringValue: 'test' },
    });
    await waitFor(
      () => vendor.received.some((r) => r.path === '/v1/metrics' && (r.body.resourceMetrics?.length ?? 0) > 0),
      10_000,
      'no metrics exported',
    );
    // Nothing of the wish itself in any signal.
    expect(vendor.received.map((r) => r.raw).join('\n')).not.toContain('traced to the vendor');
  }, 60_000);

  it('logs arrive as log records in their traces, and events (injection attempt, dead letter, a worker killed and restarted) with event.name; the supervisor reports its processes; no wish text anywhere', async () => {
    const vendor = (receiver = await OtlpReceiver.start());
    system = await startSystem({ env: otlpEnv(vendor.url), replicas: SPLIT });
    const dataDir = system.dataDir;
    const [evacuee] = await generateRoster(dataDir, 1);
    const markup = '<img src=x onerror=alert(1)> a wish that must stay private';
    const res = await postWish(system.url, evacuee?.pass ?? '', { destination: 'europa', message: markup });
    const { id } = (await res.json()) as { id: string };
    await waitFor(
      async () => (await wishStatus<{ status: string }>(system?.url ?? '', id)).status === 'stored',
      10_000,
      'never stored',
    );

    // A poison message straight into the intake queue: the parser dead-letters it.
    const messaging = await openMessaging(`sqlite:${dataDir}`, { maxAttempts: 5 });
    await messaging.queue(QUEUES.intake).send([envelope('poison-for-otlp', { not: 'a wish' })]);
    await messaging.close();

    // kill -9 a worker: the supervisor reports it gone and back.
    killService(dataDir, 'worker', 1);

    await waitFor(() => vendor.events('wish.injection_attempt').length > 0, 15_000, 'no injection attempt event');
    const [injection] = vendor.events('wish.injection_attempt');
    const post = vendor
      .spans()
      .find((span) => span.name === 'POST /api/wishes' && span.attributes['exodus.wish.id'] === id);
    expect(injection).toMatchObject({
      eventName: 'wish.injection_attempt',
      severityText: 'warn',
      severityNumber: 13,
      resource: { 'service.name': 'exodus-parser', 'service.instance.id': 'parser-1' },
    });
    expect(injection?.attributes).toMatchObject({ wishId: id, evacueeId: evacuee?.evacueeId });
    expect(injection?.resource['process.pid']).toEqual(expect.any(Number));
    // The record carries the trace of the wish it is about.
    expect(injection?.traceId).toBe(post?.traceId);
    expect(injection?.spanId).toMatch(/^[0-9a-f]{16}$/);

    await waitFor(() => vendor.events('message.dead_lettered').length > 0, 15_000, 'no dead-letter event');
    expect(vendor.events('message.dead_lettered')[0]).toMatchObject({
      resource: { 'service.name': 'exodus-parser' },
      attributes: { queue: 'intake', messageId: 'poison-for-otlp', code: 'poison_message' },
      // The fixture's traceparent: the dead letter is found in the trace of the message that brought it.
      traceId: '0af7651916cd43dd8448eb211c80319c',
    });

    await waitFor(
      () => vendor.events('process.restarted').some((e) => e.attributes['exodus.process'] === 'worker-1'),
      15_000,
      'no restart event for worker-1',
    );
    const exited = vendor.events('process.exited').find((e) => e.attributes['exodus.process'] === 'worker-1');
    expect(exited).toMatchObject({
      resource: { 'service.name': 'exodus-supervisor' },
      attributes: { 'exodus.service': 'exodus-worker', signal: 'SIGKILL' },
    });
    expect(
      vendor.events('process.restarted').find((e) => e.attributes['exodus.process'] === 'worker-1')?.attributes,
    ).toMatchObject({ restarts: 1, 'exodus.service': 'exodus-worker' });
    expect(vendor.events('process.started').map((e) => e.attributes['exodus.process'])).toEqual(
      expect.arrayContaining(['console-1', 'frontend-1', 'parser-1', 'worker-1', 'worker-2', 'tally-1']),
    );

    // The supervisor's gauges: running and wanted per service, restarts counted.
    const supervisorPoint = (metric: string, service: string) =>
      vendor
        .points()
        .filter(
          (p) => p.service === 'exodus-supervisor' && p.metric === metric && p.attributes['exodus.service'] === service,
        )
        .at(-1)?.value;
    await waitFor(
      () =>
        supervisorPoint('exodus.process.restarts', 'exodus-worker') === 1 &&
        supervisorPoint('exodus.process.running', 'exodus-worker') === 2,
      15_000,
      'supervisor metrics never showed the restart',
    );
    expect(supervisorPoint('exodus.process.wanted', 'exodus-worker')).toBe(2);
    expect(supervisorPoint('exodus.process.running', 'exodus-frontend')).toBe(1);

    // Ordinary lines too, with their level: every process's start-up line.
    expect(
      vendor
        .logs()
        .some(
          (record) =>
            record.resource['service.name'] === 'exodus-worker' &&
            record.body === 'worker consuming' &&
            record.severityNumber === 9,
        ),
    ).toBe(true);
    const everything = vendor.received.map((r) => r.raw).join('\n');
    expect(everything).not.toContain('must stay private');
    expect(everything).not.toContain('onerror');
  }, 90_000);

  it('exodus up sends every process to its own console by default: a wish is found there by its id, from the door to the consumers process', async () => {
    system = await startSystem();
    const consoleUrl = system.consoleUrl ?? '';
    const token = readFileSync(join(system.dataDir, 'admin-token'), 'utf8').trim();
    const api = async <T>(path: string): Promise<T> => {
      const response = await fetch(`${consoleUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status, path).toBe(200);
      return (await response.json()) as T;
    };
    const [evacuee] = await generateRoster(system.dataDir, 1);
    const { id } = (await (
      await postWish(system.url, evacuee?.pass ?? '', { destination: 'mars', message: 'seen by the console' })
    ).json()) as { id: string };
    let traces: TracesResponse['traces'] = [];
    await waitFor(
      async () => {
        traces = (await api<TracesResponse>(`/api/v1/traces?wish=${id}`)).traces;
        const services = new Set(traces.flatMap((trace) => trace.spans.map((span) => span.service)));
        return ['exodus-frontend', 'exodus-consumers'].every((service) => services.has(service));
      },
      20_000,
      'the console never had the wish from every service',
    );
    const instances = new Set(traces.flatMap((trace) => trace.spans.map((span) => span.instance)));
    expect([...instances].sort()).toEqual(['consumers-1', 'frontend-1']);
    // Its journey through every consumer's loop: parsed, stored, tallied.
    const operations = new Set(traces.flatMap((trace) => trace.spans.map((span) => span.name)));
    expect([...operations]).toEqual(expect.arrayContaining(['process intake', 'process store', 'process tally']));
    await waitFor(
      async () =>
        (await api<ServicesResponse>('/api/v1/services')).services.some(
          (s) => s.name === 'exodus-consumers' && s.running === 1 && s.wanted === 1,
        ),
      20_000,
      "the console never saw the supervisor's counts",
    );
    // The supervisor's first events were sent before the console listened: its exporter tried again.
    const started = async () =>
      (await api<EventsResponse>('/api/v1/events?kind=process.started')).events.map((e) => e.process);
    await waitFor(
      async () => {
        const processes = await started();
        return ['frontend-1', 'consumers-1'].every((p) => processes.includes(p));
      },
      20_000,
      'no process.started events in the console',
    );
  }, 60_000);

  it('with the backend down, telemetry is dropped and counted, and no wish is slowed or lost', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    system = await startSystem({ env: otlpEnv(nobody) });
    const roster = await generateRoster(system.dataDir, 40);
    const ids: string[] = [];
    for (const evacuee of roster) {
      const res = await postWish(system.url, evacuee.pass, {
        destination: 'europa',
        message: `while the backend is down ${evacuee.evacueeId}`,
      });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    await waitFor(
      async () =>
        (await Promise.all(ids.map((id) => wishStatus<{ status: string }>(system?.url ?? '', id)))).every(
          (s) => s.status === 'stored',
        ),
      15_000,
      'wishes not all stored while the telemetry backend was down',
    );
    for (const signal of ['traces', 'logs']) {
      await waitFor(
        async () =>
          new RegExp(
            `exodus_telemetry_export_failures_total\\{[^}]*exodus_telemetry_signal="${signal}"[^}]*\\} [1-9]`,
          ).test(await (await fetch(`${system?.url ?? ''}/metrics`)).text()),
        15_000,
        `failed ${signal} exports never counted`,
      );
    }
  }, 60_000);
});
