import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { ParentBasedSampler, SamplingDecision, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace-node';

/**
 * Samples every new trace until `perSecond` have been started in the last second, then none until
 * the bucket refills (a token bucket of one second's worth). At an ordinary pace every wish is
 * traced and findable by its id; in the last hours' burst the cost of tracing stays bounded (each
 * span costs ~70 µs from creation to the console's disk, several times a wish's own work), while
 * metrics and logs still count every wish. Children follow their parent's decision (see
 * `exodusSampler`), so a trace is kept or dropped whole, across processes.
 */
export class RateLimitedSampler implements Sampler {
  #tokens: number;
  #refilledAt = performance.now();

  constructor(private readonly perSecond: number) {
    this.#tokens = perSecond;
  }

  shouldSample(
    _context: Context,
    _traceId: string,
    _name: string,
    _kind: SpanKind,
    _attributes: Attributes,
    _links: Link[],
  ): SamplingResult {
    const now = performance.now();
    this.#tokens = Math.min(this.perSecond, this.#tokens + ((now - this.#refilledAt) / 1000) * this.perSecond);
    this.#refilledAt = now;
    if (this.#tokens < 1) return { decision: SamplingDecision.NOT_RECORD };
    this.#tokens -= 1;
    return { decision: SamplingDecision.RECORD_AND_SAMPLED };
  }

  toString(): string {
    return `RateLimitedSampler{${this.perSecond}/s}`;
  }
}

/** Parent-based: a root span is rate-limited, every other span does what its parent did. */
export function exodusSampler(tracesPerSecond: number): Sampler {
  return new ParentBasedSampler({ root: new RateLimitedSampler(tracesPerSecond) });
}
