// The chart's KEDA triggers name what the engines really create: NATS streams and durable consumers from
// the engine's own layout, SQS queues from deploy/aws/names.ts, the backlog gauge from the runtime's
// metric name. A rename in src or deploy/aws fails here instead of leaving a consumer that never scales.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QUEUE_OF, namesFor } from '../../deploy/aws/names.js';
import { parseManifests, type Manifest } from '../../deploy/helm/manifests.js';
import { CONSUMERS } from '../../deploy/helm/policies.js';
import { OUT_DIR } from '../../deploy/helm/values-sets.js';
import { Layout } from '../../src/engines/nats/layout.js';
import { METRIC } from '../../src/runtime/telemetry-names.js';

const PREFIX = 'exodus'; // the values sets' prefix, and the engines' default

interface Trigger {
  readonly type: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** The triggers of the consumer's ScaledObject in a set's committed render. */
function triggersOf(set: string, consumer: string): readonly Trigger[] {
  const objects: Manifest[] = parseManifests(readFileSync(join(OUT_DIR, `${set}.yaml`), 'utf8'));
  const scaled = objects.find(
    ({ kind, metadata }) => kind === 'ScaledObject' && metadata.name === `exodus-${consumer}`,
  );
  if (scaled === undefined) throw new Error(`${set}: no ScaledObject for ${consumer}`);
  return (scaled.spec as { triggers: readonly Trigger[] }).triggers;
}

describe.each(CONSUMERS)('the %s scales on its own queue', (consumer) => {
  const queue = QUEUE_OF[consumer];

  it("on NATS: every lane it receives from (the engine's layout), by stream and durable consumer", () => {
    const lanes = new Layout(PREFIX).lanes(queue).map(({ stream, consumer: durable }) => ({ stream, durable }));
    const watched = triggersOf('nats-postgres', consumer).map(({ type, metadata }) => {
      expect(type).toBe('nats-jetstream');
      return { stream: metadata['stream'], durable: metadata['consumer'] };
    });
    expect(watched).toEqual(lanes);
  });

  it('on SQS: the queue deploy/aws names', () => {
    const [trigger] = triggersOf('sqs-dynamodb', consumer);
    expect(trigger?.type).toBe('aws-sqs-queue');
    expect(trigger?.metadata['queueURL']).toBe(
      `https://sqs.eu-west-1.amazonaws.com/123456789012/${namesFor(PREFIX).queue(queue)}`,
    );
  });

  it('on Prometheus: the backlog gauge the processes export, for this queue', () => {
    const [trigger] = triggersOf('nats-postgres-canary', consumer);
    expect(trigger?.type).toBe('prometheus');
    const gauge = METRIC.queueMessages.replaceAll('.', '_');
    expect(trigger?.metadata['query']).toContain(`${gauge}{`);
    expect(trigger?.metadata['query']).toContain(`messaging_destination_name="${queue}"`);
  });
});
