import { metrics, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { packageVersion, startTelemetry, tracer, type Telemetry } from '../../../src/runtime/index.js';

/** What every signal of a process says of it: the resource of a span it ended. */
async function resourceOf(env: Record<string, string>): Promise<Record<string, unknown>> {
  const saved = process.env['OTEL_RESOURCE_ATTRIBUTES'];
  process.env['OTEL_RESOURCE_ATTRIBUTES'] = env['OTEL_RESOURCE_ATTRIBUTES'] ?? '';
  const exporter = new InMemorySpanExporter();
  try {
    running = startTelemetry('exodus-worker', { spanProcessors: [new SimpleSpanProcessor(exporter)], otlp: false });
    tracer().startSpan('work').end();
    const [span] = exporter.getFinishedSpans();
    await span?.resource.waitForAsyncAttributes?.();
    return { ...span?.resource.attributes };
  } finally {
    if (saved === undefined) delete process.env['OTEL_RESOURCE_ATTRIBUTES'];
    else process.env['OTEL_RESOURCE_ATTRIBUTES'] = saved;
  }
}
let running: Telemetry | undefined;
afterEach(async () => {
  await running?.shutdown();
  running = undefined;
  // Each case registers its own providers: the API keeps the first one registered until told to forget it.
  trace.disable();
  metrics.disable();
  propagation.disable();
});

describe("a process's resource: where it runs and what it runs", () => {
  it("says its host and the package's version by default", async () => {
    expect(await resourceOf({})).toMatchObject({
      'service.name': 'exodus-worker',
      'service.version': packageVersion(),
      'host.name': hostname(),
      'process.pid': process.pid,
    });
  });

  it('takes a version, a pod and a node from OTEL_RESOURCE_ATTRIBUTES (a canary of another version; Kubernetes)', async () => {
    const attributes = await resourceOf({
      OTEL_RESOURCE_ATTRIBUTES: 'service.version=9.9.9-canary,k8s.pod.name=worker-7f9c,k8s.node.name=node-3',
    });
    expect(attributes).toMatchObject({
      'service.version': '9.9.9-canary',
      'k8s.pod.name': 'worker-7f9c',
      'k8s.node.name': 'node-3',
      'host.name': hostname(),
    });
  });
});
