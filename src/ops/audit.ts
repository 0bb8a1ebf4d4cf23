import { compareVersions, DESTINATIONS, emptyTally, isCanary, isNewer, type Destination } from '../domain/index.js';
import {
  QUEUES,
  type Queue,
  type QueueName,
  type ReadModel,
  type Tally,
  type WishRecord,
  type WishStore,
} from '../ports/index.js';
import { InputError } from './input-error.js';

/** One line of a load's `ledger.ndjson`: a wish the API accepted (answered 202). */
export interface LedgerEntry {
  readonly id: string;
  readonly evacueeId: string;
  readonly destination: Destination;
  readonly submittedAt: string;
}

/** A ledger that cannot be read: names the line. */
export class LedgerError extends InputError {}

/** Parses `ledger.ndjson` (one JSON object per line; blank lines ignored), naming the first bad line. */
export function parseLedger(text: string, source = 'ledger'): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new LedgerError(`${source}:${i + 1}: not JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null) throw new LedgerError(`${source}:${i + 1}: not a JSON object`);
    const entry = parsed as Partial<Record<keyof LedgerEntry, unknown>>;
    const field = (key: keyof LedgerEntry): string => {
      const value = entry[key];
      if (typeof value !== 'string' || value === '')
        throw new LedgerError(`${source}:${i + 1}: "${key}" must be a non-empty string`);
      return value;
    };
    // Checked in the order the fields are written, so the error names the first one wrong.
    const id = field('id');
    const evacueeId = field('evacueeId');
    const destination = field('destination');
    if (!(DESTINATIONS as readonly string[]).includes(destination))
      throw new LedgerError(`${source}:${i + 1}: "destination" must be one of ${DESTINATIONS.join(', ')}`);
    const submittedAt = field('submittedAt');
    if (Number.isNaN(Date.parse(submittedAt))) throw new LedgerError(`${source}:${i + 1}: "submittedAt" is not a time`);
    entries.push({ id, evacueeId, destination: destination as Destination, submittedAt });
  });
  return entries;
}

export interface AuditReport {
  /** Lines in the ledger, and distinct wishes among them (a client may write a retried 202 twice). */
  readonly accepted: number;
  readonly wishes: number;
  readonly evacuees: number;
  /** What the store says became of the ledger's wishes. */
  readonly outcomes: { readonly stored: number; readonly superseded: number; readonly rejected: number };
  /**
   * Accepted, not in the store yet, and still in a queue (ready, in flight or delayed): safe, and
   * arriving. `queue` is undefined when it is only known to be somewhere on its way: it reached the
   * store while the audit looked, or a queue that cannot be searched (SQS) still holds messages.
   */
  readonly onTheirWay: readonly { readonly id: string; readonly queue: QueueName | undefined }[];
  /** Accepted and parked in a dead-letter queue: not lost (`exodus dlq redrive` puts it back), not done either. */
  readonly deadLettered: readonly { readonly id: string; readonly queue: QueueName; readonly lastError: string }[];
  /** Accepted, and in no queue, no dead-letter queue, nor the store: lost. */
  readonly lost: readonly string[];
  /** Evacuees whose current wish is not their newest, or who have more than one current. */
  readonly wrongCurrent: readonly {
    readonly evacueeId: string;
    readonly current: readonly string[];
    readonly newest: string;
  }[];
  /** Superseded wishes with no newer wish of the same evacuee in the store. */
  readonly supersededByNothing: readonly string[];
  /** Current wishes per destination: the ledger's expectation, the store's records, its count, the read model's tally, the wall. */
  readonly tally: {
    readonly ledger: Tally;
    readonly store: Tally;
    readonly storeCount: Tally;
    readonly readModel: Tally;
    readonly wall: Tally;
  };
  readonly tallyMatches: boolean;
  /** What sits in each queue's dead letters (ids and last error). */
  readonly deadLetters: Readonly<
    Partial<Record<QueueName, readonly { readonly id: string; readonly lastError: string }[]>>
  >;
  /** Every accepted wish done (none on its way, parked or lost), nothing twice, every count equal. */
  readonly ok: boolean;
}

/** What the audit reads of a queue: where an accepted wish may still be, or be parked. */
export type AuditedQueue = Pick<Queue, 'stats' | 'deadLetters' | 'holding'>;

export interface AuditSources {
  readonly store: WishStore;
  readonly readModel: ReadModel;
  /**
   * The pipeline's queues. Without them an accepted wish not in the store counts as lost; with
   * them it is on its way (in a queue), parked (dead-lettered) or lost (in none).
   */
  readonly queues?: Readonly<Partial<Record<QueueName, AuditedQueue>>>;
}

const SCAN_PAGE = 1000;
const WALL_PAGE = 500;
const DEAD_LETTERS_LISTED = 1000;

/**
 * The messages that carry a wish through each queue (the envelope ids the frontend and the parser
 * give them), in pipeline order: a wish leaves a queue only after it is in the next one (the parser
 * publishes before it acks), so reading them in this order, and the store last, cannot miss one
 * in transit.
 */
const CARRIERS: readonly { readonly queue: QueueName; readonly messageId: (wishId: string) => string }[] = [
  { queue: QUEUES.intake, messageId: (id) => `${id}.accepted` },
  { queue: QUEUES.store, messageId: (id) => `${id}.parsed` },
];

/**
 * Reconciles every accepted wish with the system of record and the read model: each 202 is stored,
 * superseded by a newer wish of its evacuee, or rejected with a reason; each evacuee has one current
 * wish and it is their newest; and tally = store = wall, per destination. The store is read whole
 * (paged), so wishes from outside the ledger count as what they are: other clients' wishes. An
 * accepted wish the store does not hold is looked for in the queues and their dead letters: only
 * one in none of them is lost.
 */
export async function auditLedger(given: readonly LedgerEntry[], sources: AuditSources): Promise<AuditReport> {
  // The synthetic canary's wishes (domain/canary.ts) are the system checking itself: left out of
  // everything here, so they are never lost, extra, or counted; the read model never shows them.
  const ledger = given.filter((entry) => !isCanary(entry.evacueeId));
  const wishes = new Map(ledger.map((entry) => [entry.id, entry]));
  const scanned = await scanAll(sources.store);
  const records = scanned.filter((record) => !isCanary(record.evacueeId));
  const canaryCurrent = countBy(
    scanned.filter((r) => r.status === 'stored' && isCanary(r.evacueeId)).map((r) => r.wish?.destination),
  );
  const byId = new Map(records.map((record) => [record.id, record]));

  const outcomes = { stored: 0, superseded: 0, rejected: 0 };
  const missing: string[] = [];
  for (const id of wishes.keys()) {
    const record = byId.get(id);
    if (record === undefined) missing.push(id);
    else outcomes[record.status]++;
  }
  const { deadLetters, ...whereabouts } = await locate(missing, sources);

  // Per evacuee, over everything the store holds: the current ones and the newest that was not rejected.
  const byEvacuee = new Map<string, { current: WishRecord[]; newest: WishRecord | undefined }>();
  for (const record of records) {
    const seen = byEvacuee.get(record.evacueeId) ?? { current: [], newest: undefined };
    if (record.status === 'stored') seen.current.push(record);
    if (record.status !== 'rejected' && isNewer(record, seen.newest)) seen.newest = record;
    byEvacuee.set(record.evacueeId, seen);
  }
  const wrongCurrent = [...byEvacuee.entries()].flatMap(([evacueeId, { current, newest }]) =>
    newest !== undefined && (current.length !== 1 || current[0]?.id !== newest.id)
      ? [{ evacueeId, current: current.map((r) => r.id), newest: newest.id }]
      : [],
  );
  const supersededByNothing = records
    .filter((record) => record.status === 'superseded' && wishes.has(record.id))
    .filter((record) => {
      const newest = byEvacuee.get(record.evacueeId)?.newest;
      return newest === undefined || compareVersions(newest, record) <= 0;
    })
    .map((record) => record.id);

  const tally = {
    ledger: expectedTally(ledger, (id) => byId.get(id)?.status === 'rejected'),
    store: countBy(records.filter((r) => r.status === 'stored').map((r) => r.wish?.destination)),
    storeCount: without(await sources.store.countCurrent(), canaryCurrent),
    readModel: await sources.readModel.tally(),
    wall: await wallTally(sources.readModel),
  };
  const tallies = [tally.store, tally.storeCount, tally.readModel, tally.wall];
  // The ledger's expectation holds only when the ledger's clients were the only writers: compared when nothing else is in the store.
  if (records.every((record) => wishes.has(record.id))) tallies.push(tally.ledger);
  const tallyMatches = tallies.every((t) => DESTINATIONS.every((d) => t[d] === tally.store[d]));

  const done =
    whereabouts.onTheirWay.length === 0 && whereabouts.deadLettered.length === 0 && whereabouts.lost.length === 0;
  return {
    accepted: ledger.length,
    wishes: wishes.size,
    evacuees: new Set(ledger.map((entry) => entry.evacueeId)).size,
    outcomes,
    ...whereabouts,
    wrongCurrent,
    supersededByNothing,
    tally,
    tallyMatches,
    deadLetters,
    ok: done && wrongCurrent.length === 0 && supersededByNothing.length === 0 && tallyMatches,
  };
}

type DeadLetterListing = Partial<Record<QueueName, { id: string; lastError: string }[]>>;

async function listDeadLetters(queues: Readonly<Partial<Record<QueueName, AuditedQueue>>>): Promise<DeadLetterListing> {
  const listing: DeadLetterListing = {};
  for (const [name, queue] of Object.entries(queues) as [QueueName, AuditedQueue][]) {
    listing[name] = (await queue.deadLetters.list(DEAD_LETTERS_LISTED)).map((letter) => ({
      id: letter.message.id,
      lastError: letter.lastError,
    }));
  }
  return listing;
}

/**
 * Where the accepted wishes the store did not hold are: in a queue (upstream first), in a dead-letter
 * queue (listed after the queues, so a wish parked meanwhile is seen there; one both held and parked,
 * in a redrive's moment or an engine's doubt, counts as parked), in the store after all (arrived while
 * the audit looked), or nowhere. A queue that cannot be searched, while it holds messages, leaves the
 * rest unknown rather than lost.
 */
async function locate(
  missing: readonly string[],
  sources: AuditSources,
): Promise<Pick<AuditReport, 'onTheirWay' | 'deadLettered' | 'lost' | 'deadLetters'>> {
  const queues = sources.queues ?? {};
  const held = new Map<string, QueueName>();
  let unsearchedBacklog = 0;
  for (const { queue: name, messageId } of missing.length === 0 ? [] : CARRIERS) {
    const queue = queues[name];
    if (queue === undefined) continue;
    if (queue.holding === undefined) {
      const stats = await queue.stats();
      unsearchedBacklog += stats.ready + stats.inFlight + stats.delayed;
      continue;
    }
    const asked = missing.filter((id) => !held.has(id));
    const found = await queue.holding(asked.map(messageId));
    for (const id of asked) if (found.has(messageId(id))) held.set(id, name);
  }
  const deadLetters = await listDeadLetters(queues);
  const parked = new Map(
    (Object.entries(deadLetters) as [QueueName, { id: string; lastError: string }[]][]).flatMap(([queue, letters]) =>
      letters.map((l) => [l.id, { queue, lastError: l.lastError }] as const),
    ),
  );
  const onTheirWay: { id: string; queue: QueueName | undefined }[] = [];
  const deadLettered: { id: string; queue: QueueName; lastError: string }[] = [];
  const nowhere: string[] = [];
  for (const id of missing) {
    const letter = CARRIERS.map(({ messageId }) => parked.get(messageId(id))).find((l) => l !== undefined);
    if (letter !== undefined) deadLettered.push({ id, ...letter });
    else if (held.has(id)) onTheirWay.push({ id, queue: held.get(id) });
    else nowhere.push(id);
  }
  if (sources.queues === undefined) return { onTheirWay, deadLettered, lost: nowhere, deadLetters };
  const arrived = new Set(
    (
      await Promise.all(nowhere.map(async (id) => ((await sources.store.get(id)) === undefined ? undefined : id)))
    ).filter((id) => id !== undefined),
  );
  const unknown = unsearchedBacklog > 0;
  for (const id of nowhere) if (arrived.has(id) || unknown) onTheirWay.push({ id, queue: undefined });
  return { onTheirWay, deadLettered, lost: unknown ? [] : nowhere.filter((id) => !arrived.has(id)), deadLetters };
}

async function scanAll(store: WishStore): Promise<WishRecord[]> {
  const all: WishRecord[] = [];
  for (
    let page = await store.scan(undefined, SCAN_PAGE);
    page.length > 0;
    page = await store.scan(page[page.length - 1]?.id, SCAN_PAGE)
  ) {
    all.push(...page);
    if (page.length < SCAN_PAGE) break;
  }
  return all;
}

/**
 * What the tally must be if the ledger's wishes are all there is: each evacuee's newest wish (last
 * writer wins), by destination, leaving out the wishes `rejected` names (refused by the parser).
 */
export function expectedTally(ledger: readonly LedgerEntry[], rejected: (id: string) => boolean = () => false): Tally {
  const newest = new Map<string, LedgerEntry>();
  for (const entry of ledger) {
    if (rejected(entry.id)) continue;
    if (isNewer(entry, newest.get(entry.evacueeId))) newest.set(entry.evacueeId, entry);
  }
  return countBy([...newest.values()].map((entry) => entry.destination));
}

async function wallTally(readModel: ReadModel): Promise<Tally> {
  const counts = emptyTally();
  for (const destination of DESTINATIONS) {
    let cursor: string | undefined;
    do {
      const page = await readModel.wall({ destination, limit: WALL_PAGE, ...(cursor === undefined ? {} : { cursor }) });
      counts[destination] += page.items.length;
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
  }
  return counts;
}

/** `counts` less `less`, per destination. */
function without(counts: Tally, less: Tally): Tally {
  const left = emptyTally();
  for (const destination of DESTINATIONS) left[destination] = counts[destination] - less[destination];
  return left;
}

function countBy(destinations: readonly (Destination | undefined)[]): Tally {
  const counts = emptyTally();
  for (const destination of destinations) if (destination !== undefined) counts[destination]++;
  return counts;
}
