import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { SheddingReason } from './shedding-events.js';

/** What saturation sheds on: the event loop's lag and the heap. */
export type Pressure = Extract<SheddingReason, 'event-loop-delay' | 'heap-used'>;

/** What a request refused for each kind of pressure is told, wherever it is refused (admission or Fastify). */
export const PRESSURE_ANSWERS: Readonly<
  Record<Pressure, { readonly slug: string; readonly detail: string; readonly retryAfterSeconds: number }>
> = {
  'event-loop-delay': {
    slug: 'overloaded',
    detail: 'too busy to answer in time; please retry shortly',
    retryAfterSeconds: 2,
  },
  'heap-used': { slug: 'out-of-memory', detail: 'out of memory headroom; please retry shortly', retryAfterSeconds: 5 },
};

export interface PressureLimits {
  /** Mean event-loop delay over a sample past which the process sheds, in ms; 0 = never. */
  readonly maxEventLoopDelayMs: number;
  /** Heap in use past which the process sheds, in bytes; 0 = never. */
  readonly maxHeapUsedBytes: number;
}

/**
 * The event loop is timed every `RESOLUTION_MS` (each timing wakes the process: @fastify/under-pressure,
 * which this replaces, timed it every 10 ms, 100 wake-ups a second that were most of an idle
 * frontend's CPU), and read every `SAMPLE_INTERVAL_MS`: five timings per reading. Only while requests
 * ask: with none for `IDLE_READS` readings the gauge stops (at rest its 24 wake-ups a second were
 * 0.3 % of a core, measured from /proc), and the next request starts it again.
 */
const RESOLUTION_MS = 50;
const SAMPLE_INTERVAL_MS = 250;
const IDLE_READS = 8;

/**
 * Whether this process is saturated: the event loop's mean delay over the last reading (each
 * timing is the time between two wake-ups, so the resolution is taken off), or the heap in use. A
 * reading with no timing yet says nothing: the histogram's first tick only starts its clock, so just
 * after a start, or a request that woke a stopped gauge, there is none (a block later is timed: the
 * timing's timer is due before the reading's and runs first). An idle process is not saturated, so
 * the request that wakes the gauge is answered as at rest. With both limits 0 nothing is timed or read.
 */
export class PressureGauge {
  readonly #histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  readonly #inert: boolean;
  #timer: NodeJS.Timeout | undefined;
  #pressure: Pressure | undefined;
  /** Whether a request asked since the last reading, and how many readings in a row none did. */
  #asked = false;
  #idleReads = 0;

  constructor(private readonly limits: PressureLimits) {
    this.#inert = limits.maxEventLoopDelayMs <= 0 && limits.maxHeapUsedBytes <= 0;
  }

  /** What the process is saturated by now, if anything: asked once per request. */
  get pressure(): Pressure | undefined {
    if (this.#inert) return undefined;
    this.#asked = true;
    if (this.#timer === undefined) this.#start();
    return this.#pressure;
  }

  /** Whether it is timing the loop now (it stops at rest). */
  get timing(): boolean {
    return this.#timer !== undefined;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#histogram.disable();
    this.#histogram.reset();
    this.#pressure = undefined;
  }

  #start(): void {
    this.#histogram.enable();
    this.#idleReads = 0;
    this.#timer = setInterval(() => this.#read(), SAMPLE_INTERVAL_MS);
    this.#timer.unref();
  }

  #read(): void {
    const { maxEventLoopDelayMs, maxHeapUsedBytes } = this.limits;
    const delayMs = this.#histogram.count === 0 ? 0 : Math.max(0, this.#histogram.mean / 1e6 - RESOLUTION_MS);
    this.#histogram.reset();
    if (maxHeapUsedBytes > 0 && process.memoryUsage().heapUsed > maxHeapUsedBytes) this.#pressure = 'heap-used';
    else if (maxEventLoopDelayMs > 0 && delayMs > maxEventLoopDelayMs) this.#pressure = 'event-loop-delay';
    else this.#pressure = undefined;
    this.#idleReads = this.#asked ? 0 : this.#idleReads + 1;
    this.#asked = false;
    if (this.#idleReads >= IDLE_READS) this.stop();
  }
}
