import type { Connection } from './connection.js';
import { guarded } from './errors.js';

/** How often a process that reads a topic removes what every subscription has acked. */
const TRIM_EVERY_MS = 5_000;

/**
 * Interest retention, done by the client: removes a topic stream's messages once every
 * subscription's consumer has acked them.
 *
 * The topic stream uses Limits retention, not Interest, because NATS 2.9.10 acks a publish into an
 * Interest stream while it shuts down (SIGTERM) and then does not keep it: its consumers are already
 * stopped, so the message has "no interest". `npm run bench -- --only nats-shutdown` measures it:
 * 434 to 539 of about 10,000 acked publishes lost per SIGTERM with Interest retention, none with
 * Limits (and none in lame-duck mode, how NATS should be restarted anyway).
 *
 * Every consumer's ack floor (the highest stream sequence below which it has acked everything) only
 * grows, so purging below the lowest floor never removes a message any subscription still needs. A
 * message waiting for a retry holds its consumer's floor, and so the trim, back.
 */
export class TopicTrim {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The floor this process last trimmed to: an unchanged floor needs no purge. */
  private trimmedTo = 0;

  constructor(
    private readonly conn: Connection,
    private readonly stream: string,
    private readonly consumers: readonly string[],
  ) {}

  /** Trims every `TRIM_EVERY_MS` until `stop()`; a failed trim (broker away) is simply tried next time. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.running ??= this.trim()
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => (this.running = undefined));
    }, TRIM_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Removes every message all subscriptions have acked; resolves to how many went. */
  async trim(): Promise<number> {
    const infos = await Promise.all(
      this.consumers.map((consumer) =>
        guarded(`read ${this.stream} > ${consumer}`, () => this.conn.jsm.consumers.info(this.stream, consumer)),
      ),
    );
    const floor = Math.min(...infos.map((info) => info.ack_floor.stream_seq));
    if (!(floor > this.trimmedTo)) return 0;
    // "Up to but not including seq": everything at or below the lowest floor.
    const { purged } = await guarded(`trim ${this.stream}`, () =>
      this.conn.jsm.streams.purge(this.stream, { seq: floor + 1 }),
    );
    this.trimmedTo = floor;
    return purged;
  }
}
