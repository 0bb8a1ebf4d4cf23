import { context, trace } from '@opentelemetry/api';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Delivery } from '../../../src/ports/index.js';
import { createLogger, currentTraceContext, processDelivery } from '../../../src/runtime/index.js';
import { spans } from '../../../testkit/in-process.js';
import { envelope } from '../../contract/fixtures.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

function deliveryOf(traceparent: string): Delivery {
  return {
    message: { ...envelope('m-1'), traceparent },
    attempt: 1,
    lapses: 0,
    ack: async () => true,
    retry: async () => true,
    deadLetter: async () => true,
    extendLease: async () => true,
  };
}

/** What the handler saw of the trace it ran in, and what it would hand on in a message it sends. */
async function handle(traceparent: string): Promise<{ traceId: string | undefined; handedOn: string }> {
  let seen: { traceId: string | undefined; handedOn: string } = { traceId: undefined, handedOn: '' };
  await processDelivery(deliveryOf(traceparent), {
    queue: { name: 'store' },
    handler: async () => {
      seen = {
        traceId: trace.getSpanContext(context.active())?.traceId,
        handedOn: currentTraceContext().traceparent,
      };
    },
    logger: createLogger('test', 'silent'),
    retryBaseMs: 10,
    retryMaxMs: 10,
    holding: () => false,
    stopping: new AbortController().signal,
  });
  return seen;
}

describe('a message handled in its creator’s trace', () => {
  beforeEach(() => spans.reset());

  it('sampled: a CONSUMER span, child of the creator, that what it sends carries on', async () => {
    const seen = await handle(`00-${TRACE}-b7ad6b7169203331-01`);
    const [span] = spans.getFinishedSpans().filter((s) => s.name === 'process store');
    expect(span?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(seen.traceId).toBe(TRACE);
    expect(seen.handedOn).toBe(`00-${TRACE}-${span?.spanContext().spanId ?? ''}-01`);
  });

  it('not sampled: no span of its own (the batch’s receive links to it), yet the trace goes on unsampled', async () => {
    const seen = await handle(`00-${TRACE}-b7ad6b7169203331-00`);
    expect(spans.getFinishedSpans().filter((s) => s.name === 'process store')).toEqual([]);
    expect(seen.traceId).toBe(TRACE);
    expect(seen.handedOn).toBe(`00-${TRACE}-b7ad6b7169203331-00`);
  });

  it('with no trace at all (a message sent by hand): a span of its own, a trace the sampler may keep', async () => {
    const seen = await handle('');
    const [span] = spans.getFinishedSpans().filter((s) => s.name === 'process store');
    expect(span?.parentSpanContext).toBeUndefined();
    expect(seen.traceId).toBe(span?.spanContext().traceId);
  });
});
