import { context, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exodusSampler, RateLimitedSampler } from '../../../src/runtime/rate-limited-sampler.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const decide = (sampler: { shouldSample: RateLimitedSampler['shouldSample'] }, parent = context.active()) =>
  sampler.shouldSample(parent, TRACE, 'POST /api/wishes', SpanKind.SERVER, {}, []).decision;

describe('the rate-limited sampler', () => {
  afterEach(() => vi.useRealTimers());

  it('samples up to its rate of new traces, then none until a second has refilled it', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const sampler = new RateLimitedSampler(3);
    expect([1, 2, 3, 4, 5].map(() => decide(sampler))).toEqual([2, 2, 2, 0, 0].map((d) => d as SamplingDecision));
    vi.advanceTimersByTime(400); // 1.2 tokens back
    expect([decide(sampler), decide(sampler)]).toEqual([
      SamplingDecision.RECORD_AND_SAMPLED,
      SamplingDecision.NOT_RECORD,
    ]);
    vi.advanceTimersByTime(10_000); // never more than one second's worth
    expect([1, 2, 3, 4].map(() => decide(sampler))).toEqual([2, 2, 2, 0].map((d) => d as SamplingDecision));
  });

  it('leaves a child to its parent: a trace is kept or dropped whole, across processes', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const sampler = exodusSampler(1);
    const parent = (flags: TraceFlags) =>
      trace.setSpanContext(context.active(), {
        traceId: TRACE,
        spanId: 'b7ad6b7169203331',
        traceFlags: flags,
        isRemote: true,
      });
    expect(decide(sampler)).toBe(SamplingDecision.RECORD_AND_SAMPLED); // the one token
    expect(decide(sampler)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(sampler, parent(TraceFlags.SAMPLED))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(sampler, parent(TraceFlags.NONE))).toBe(SamplingDecision.NOT_RECORD);
  });
});
