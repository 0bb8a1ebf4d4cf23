import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, generateRoster, postWish, startSystem, waitFor, wishStatus, type RunningSystem } from '../support/system.js';

/** One OTLP/HTTP request a receiver got: its path, headers and JSON body. */
interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: { resourceSpans?: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { traceId: string; name: string }[] }[] }[]; resourceMetrics?: unknown[] };
}

/** A stand-in for a vendor's OTLP/HTTP JSON intake, keeping everything it receives. */
async function startReceiver(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Received['body'] });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

const serviceOf = (resource: { attributes: { key: string; value: { stringValue?: string } }[] }): string | undefined =>
  resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;

describe('OTLP export with the standard variables', () => {
  let system: RunningSystem | undefined;
  let receiver: Server | undefined;
  afterEach(async () => {
    await system?.stop();
    receiver?.close();
    system = undefined;
  });

  const otlpEnv = (endpoint: string): NodeJS.ProcessEnv => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_HEADERS: 'api-key=test-license-key',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_METRIC_EXPORT_INTERVAL: '500',
  });

  it('every service sends its spans and metrics, with the headers and resource attributes asked for; one trace spans them all', async () => {
    const vendor = await startReceiver();
    receiver = vendor.server;
    system = await startSystem({ env: otlpEnv(vendor.url) });
    const [evacuee] = await generateRoster(system.dataDir, 1);
    const res = await postWish(system.url, evacuee?.pass ?? '', { destination: 'mars', message: 'traced to the vendor' });
    const { id } = (await res.json()) as { id: string };
    await waitFor(async () => (await wishStatus<{ status: string }>(system?.url ?? '', id)).status === 'stored', 10_000, 'never stored');

    const spansByService = () => {
      const byService = new Map<string, { traceId: string; name: string }[]>();
      for (const { body } of vendor.received.filter((r) => r.path === '/v1/traces')) {
        for (const resourceSpans of body.resourceSpans ?? []) {
          const service = serviceOf(resourceSpans.resource) ?? '?';
          byService.set(service, [...(byService.get(service) ?? []), ...resourceSpans.scopeSpans.flatMap((scope) => scope.spans)]);
        }
      }
      return byService;
    };
    await waitFor(
      async () => ['exodus-frontend', 'exodus-parser', 'exodus-worker', 'exodus-tally'].every((service) => spansByService().get(service)?.some((span) => span.name.startsWith('process') || span.name.startsWith('POST'))),
      15_000,
      'not every service exported spans',
    );
    const post = spansByService().get('exodus-frontend')?.find((span) => span.name === 'POST /api/wishes');
    for (const [service, name] of [['exodus-parser', 'process intake'], ['exodus-worker', 'process store'], ['exodus-tally', 'process tally']] as const) {
      expect(spansByService().get(service)?.some((span) => span.name === name && span.traceId === post?.traceId), `${service} ${name} in the POST's trace`).toBe(true);
    }
    const first = vendor.received.find((r) => r.path === '/v1/traces');
    expect(first?.headers['api-key']).toBe('test-license-key');
    expect(first?.body.resourceSpans?.[0]?.resource.attributes).toContainEqual({ key: 'deployment.environment', value: { stringValue: 'test' } });
    await waitFor(async () => vendor.received.some((r) => r.path === '/v1/metrics' && (r.body.resourceMetrics?.length ?? 0) > 0), 10_000, 'no metrics exported');
    // Nothing of the wish itself in any signal.
    expect(JSON.stringify(vendor.received.map((r) => r.body))).not.toContain('traced to the vendor');
  }, 60_000);

  it('with the backend down, telemetry is dropped and counted, and no wish is slowed or lost', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    system = await startSystem({ env: otlpEnv(nobody) });
    const roster = await generateRoster(system.dataDir, 40);
    const ids: string[] = [];
    for (const evacuee of roster) {
      const res = await postWish(system.url, evacuee.pass, { destination: 'europa', message: `while the backend is down ${evacuee.evacueeId}` });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    await waitFor(
      async () => (await Promise.all(ids.map((id) => wishStatus<{ status: string }>(system?.url ?? '', id)))).every((s) => s.status === 'stored'),
      15_000,
      'wishes not all stored while the telemetry backend was down',
    );
    await waitFor(
      async () => /exodus_telemetry_export_failures_total\{[^}]*exodus_telemetry_signal="traces"[^}]*\} [1-9]/.test(await (await fetch(`${system?.url ?? ''}/metrics`)).text()),
      15_000,
      'failed exports never counted',
    );
  }, 60_000);
});
