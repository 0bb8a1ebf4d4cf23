import { QUEUES, type MessagingEngine } from '../ports/index.js';
import type { Backlog } from '../runtime/index.js';

/**
 * Every queue's backlog: ready, in flight and delayed (a retry waiting out its backoff). Read in
 * pipeline order (intake, then the queues the topic feeds), as `StopPlan.backlog` requires, so a
 * message in transit is never missed. `exodus up` drains on it; `exodus load` shows its total.
 */
export async function backlogOf(messaging: MessagingEngine): Promise<Backlog> {
  const backlog: Record<string, number> = {};
  for (const name of [QUEUES.intake, QUEUES.store, QUEUES.tally]) {
    const stats = await messaging.queue(name).stats();
    backlog[name] = stats.ready + stats.inFlight + stats.delayed;
  }
  return backlog;
}
