import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Pressure } from './admission.js';

export interface PressureLimits {
  /** Mean event-loop delay over a sample past which the process sheds, in ms; 0 = never. */
  readonly maxEventLoopDelayMs: number;
  /** Heap in use past which the process sheds, in bytes; 0 = never. */
  readonly maxHeapUsedBytes: number;
}

/**
 * The event loop is timed every `RESOLUTION_MS` (each timing wakes the process: @fastify/under-pressure,
 * which this replaces, timed it every 10 ms, 100 wake-ups a second that were most of an idle
 * frontend's CPU), and read every `SAMPLE_INTERVAL_MS`: five timings per reading.
 */
const RESOLUTION_MS = 50;
const SAMPLE_INTERVAL_MS = 250;

/**
 * Whether this process is saturated: the event loop's mean delay over the last reading (each
 * timing is the time between two wake-ups, so the resolution is taken off), or the heap in use. A
 * reading with no timing at all means the loop was blocked for all of it: saturated.
 */
export class PressureGauge {
  readonly #histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  readonly #timer: NodeJS.Timeout;
  #pressure: Pressure | undefined;

  constructor(private readonly limits: PressureLimits) {
    this.#histogram.enable();
    this.#timer = setInterval(() => this.#read(), SAMPLE_INTERVAL_MS);
    this.#timer.unref();
  }

  /** What the process is saturated by now, if anything. */
  get pressure(): Pressure | undefined {
    return this.#pressure;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
  }

  #read(): void {
    const { maxEventLoopDelayMs, maxHeapUsedBytes } = this.limits;
    const delayMs = this.#histogram.count === 0 ? Infinity : Math.max(0, this.#histogram.mean / 1e6 - RESOLUTION_MS);
    this.#histogram.reset();
    if (maxHeapUsedBytes > 0 && process.memoryUsage().heapUsed > maxHeapUsedBytes) this.#pressure = 'heap-used';
    else if (maxEventLoopDelayMs > 0 && delayMs > maxEventLoopDelayMs) this.#pressure = 'event-loop-delay';
    else this.#pressure = undefined;
  }
}
