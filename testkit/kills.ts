import { killProcess } from '../src/ops/chaos/index.js';
import type { Queue, QueueStats } from '../src/ports/index.js';
import { sleep } from './pacing.js';
import { childOf } from './supervisor-view.js';

/**
 * Killing the services of an `exodus up`: `killService` is what `exodus chaos kill` does (one code
 * path for both); `killHoldingLeases` makes the state a crash test needs, consumers that die
 * holding leased messages, instead of hoping to catch it.
 */

/** `kill -9` of `service`-`replica` the way `exodus chaos kill` kills (the supervisor restarts it); returns its pid. */
export function killService(dataDir: string, service: string, replica: number): number {
  const name = `${service}-${replica}`;
  const victim = killProcess(dataDir, service, (running) => running.find((p) => p.name === name));
  if (victim === undefined) throw new Error(`${name} is not running`);
  return victim.pid;
}

/**
 * The longest a round of `killHoldingLeases` waits for a message or a lease before it thaws
 * everyone and starts again. A round can stall for good: on SQLite a process frozen inside a write
 * transaction keeps the queue's write lock, so nobody sends to or leases from it until it is thawed.
 * A round that is merely slow (no message for a second) just starts again: this bounds nothing else.
 */
const ROUND_MS = 1_000;

/** A consumer process of `exodus up`: `{ service: 'worker', replica: 2 }` is `worker-2`. */
export interface ConsumerProcess {
  readonly service: string;
  readonly replica: number;
}

export interface KillHoldingOptions {
  readonly dataDir: string;
  /** The queue the victims lease from, on the test's own connection (only `stats()` is read). */
  readonly queue: Pick<Queue, 'stats'>;
  readonly victims: readonly ConsumerProcess[];
  /**
   * The queue's other consumers, frozen holding nothing while the victims are caught and thawed
   * after, so that what the queue has in flight is the victims' alone. Default none: the victims are
   * all its consumers. Needs an engine whose waiting receive holds nothing at the server (SQLite
   * waits in the process): a NATS pull or an SQS long poll sent before the freeze can still be
   * answered during it, handing a bystander a message.
   */
  readonly bystanders?: readonly ConsumerProcess[];
  /**
   * Called when every consumer is frozen and the queue has nothing for the victims to lease: the
   * load must bring a message (a test that holds its load back lets one through).
   */
  readonly starving?: () => void;
  /** How long making that state may take; past it the kill is not made and this rejects. */
  readonly withinMs: number;
}

export interface HeldKill {
  /** The victims' pids, in `victims` order. */
  readonly pids: readonly number[];
  /** Messages in flight on the queue when the victims died, every one leased by a victim: all abandoned. */
  readonly held: number;
}

/**
 * `kill -9` of `victims` at a moment they certainly hold leased messages, made rather than caught: a
 * fast consumer settles a batch in milliseconds, so seeing messages in flight and then killing is a
 * race the consumer can win (and does, on a quiet machine). SIGSTOP freezes a process with whatever
 * it holds, a frozen process leases nothing more, and SIGKILL ends a frozen process as well. So:
 * 1. at an instant with nothing in flight on the queue (nobody holds anything, and no earlier
 *    victim's abandoned leases are still out), every consumer of the queue is frozen; read again,
 *    still nothing in flight, or they are thawed and it starts over (one leased in between);
 * 2. once messages are ready, the victims alone are thawed, and frozen again as soon as the queue
 *    shows messages in flight (or none left ready);
 * 3. with everyone frozen, whatever is in flight was leased by a victim since step 1 and is held for
 *    as long as it stays frozen: then SIGKILL, and the bystanders are thawed. If nothing is (the
 *    batch was settled before the freeze), back to 2.
 * Only step 2 races, and losing it costs a round, never the certainty. A round freezes the queue's
 * consumers for about one message's arrival (at most `ROUND_MS`); the victims die well inside their leases.
 */
export async function killHoldingLeases(options: KillHoldingOptions): Promise<HeldKill> {
  const { dataDir, queue, victims, bystanders = [], starving, withinMs } = options;
  const pidOf = ({ service, replica }: ConsumerProcess): number => {
    const { pid, status } = childOf(dataDir, service, replica);
    if (pid === undefined || status !== 'running') throw new Error(`${service}-${replica} is not running (${status})`);
    return pid;
  };
  const victimPids = victims.map(pidOf);
  const everyone = [...victimPids, ...bystanders.map(pidOf)];
  const frozen = new Set<number>();
  const freeze = (pids: readonly number[]): void => {
    for (const pid of pids) {
      process.kill(pid, 'SIGSTOP');
      frozen.add(pid);
    }
  };
  const thaw = (pids: readonly number[]): void => {
    for (const pid of pids) {
      frozen.delete(pid);
      try {
        process.kill(pid, 'SIGCONT');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // died meanwhile: nothing to thaw
      }
    }
  };
  const deadline = Date.now() + withinMs;
  /** Polls the queue until `reached`; undefined once `roundEnds` has passed; throws past the deadline. */
  const until = async (
    state: string,
    reached: (stats: QueueStats) => boolean,
    roundEnds = deadline,
  ): Promise<QueueStats | undefined> => {
    for (;;) {
      const stats = await queue.stats();
      if (reached(stats)) return stats;
      if (Date.now() > deadline) {
        const names = victims.map(({ service, replica }) => `${service}-${replica}`).join(' and ');
        throw new Error(
          `could not kill ${names} holding leased messages within ${withinMs} ms: never saw ${state} (last: ${JSON.stringify(stats)})`,
        );
      }
      if (Date.now() > roundEnds) return undefined;
      await sleep(1); // a turn of the event loop: the test's own load goes on meanwhile
    }
  };
  try {
    for (;;) {
      await until('nothing in flight', (s) => s.inFlight === 0);
      freeze(everyone);
      const roundEnds = Date.now() + ROUND_MS;
      let stats: QueueStats | undefined = await queue.stats();
      if (stats.inFlight > 0) stats = undefined; // leased between the reading and the freeze: by whom, cannot be told
      // Every consumer of the queue is frozen holding nothing.
      while (stats !== undefined && stats.inFlight === 0) {
        if (stats.ready === 0) {
          starving?.();
          stats = await until('a message ready', (s) => s.ready > 0 || s.inFlight > 0, roundEnds);
          continue;
        }
        thaw(victimPids);
        const leasing = await until('the victims leasing', (s) => s.inFlight > 0 || s.ready === 0, roundEnds);
        freeze(victimPids);
        stats = leasing === undefined ? undefined : await queue.stats();
      }
      if (stats === undefined) {
        thaw(everyone);
        continue;
      }
      victims.forEach(({ service, replica }, i) => {
        frozen.delete(victimPids[i] ?? 0);
        killService(dataDir, service, replica);
      });
      return { pids: victimPids, held: stats.inFlight };
    }
  } finally {
    // The bystanders, and on a failure anyone still frozen, go back to work.
    thaw([...frozen]);
  }
}
