import { compareVersions, DESTINATIONS, isNewer, type Destination } from '../domain/index.js';
import type { DeadLetterQueue, QueueName, ReadModel, Tally, WishRecord, WishStore } from '../ports/index.js';

/** One line of a load's `ledger.ndjson`: a wish the API accepted (answered 202). */
export interface LedgerEntry {
  readonly id: string;
  readonly evacueeId: string;
  readonly destination: Destination;
  readonly submittedAt: string;
}

/** A ledger that cannot be read: names the line. */
export class LedgerError extends Error {}

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
      if (typeof value !== 'string' || value === '') throw new LedgerError(`${source}:${i + 1}: "${key}" must be a non-empty string`);
      return value;
    };
    // Checked in the order the fields are written, so the error names the first one wrong.
    const id = field('id');
    const evacueeId = field('evacueeId');
    const destination = field('destination');
    if (!(DESTINATIONS as readonly string[]).includes(destination)) throw new LedgerError(`${source}:${i + 1}: "destination" must be one of ${DESTINATIONS.join(', ')}`);
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
  /** Accepted (202) but not in the store: lost, or not processed yet. */
  readonly missing: readonly string[];
  /** Evacuees whose current wish is not their newest, or who have more than one current. */
  readonly wrongCurrent: readonly { readonly evacueeId: string; readonly current: readonly string[]; readonly newest: string }[];
  /** Superseded wishes with no newer wish of the same evacuee in the store. */
  readonly supersededByNothing: readonly string[];
  /** Current wishes per destination: the ledger's expectation, the store's records, its count, the read model's tally, the wall. */
  readonly tally: { readonly ledger: Tally; readonly store: Tally; readonly storeCount: Tally; readonly readModel: Tally; readonly wall: Tally };
  readonly tallyMatches: boolean;
  /** What sits in each queue's dead letters (ids and last error). */
  readonly deadLetters: Readonly<Partial<Record<QueueName, readonly { readonly id: string; readonly lastError: string }[]>>>;
  /** Nothing missing, nothing twice, every count equal. */
  readonly ok: boolean;
}

export interface AuditSources {
  readonly store: WishStore;
  readonly readModel: ReadModel;
  /** Dead letters by queue, listed in the report (they are not, by themselves, a loss). */
  readonly deadLetters?: Readonly<Partial<Record<QueueName, DeadLetterQueue>>>;
}

const SCAN_PAGE = 1000;
const WALL_PAGE = 500;
const DEAD_LETTERS_LISTED = 1000;

/**
 * Reconciles every accepted wish with the system of record and the read model: each 202 is stored,
 * superseded by a newer wish of its evacuee, or rejected with a reason; each evacuee has one current
 * wish and it is their newest; and tally = store = wall, per destination. The store is read whole
 * (paged), so wishes from outside the ledger count as what they are: other clients' wishes.
 */
export async function auditLedger(ledger: readonly LedgerEntry[], sources: AuditSources): Promise<AuditReport> {
  const wishes = new Map(ledger.map((entry) => [entry.id, entry]));
  const records = await scanAll(sources.store);
  const byId = new Map(records.map((record) => [record.id, record]));

  const outcomes = { stored: 0, superseded: 0, rejected: 0 };
  const missing: string[] = [];
  for (const id of wishes.keys()) {
    const record = byId.get(id);
    if (record === undefined) missing.push(id);
    else outcomes[record.status]++;
  }

  // Per evacuee, over everything the store holds: the current ones and the newest that was not rejected.
  const byEvacuee = new Map<string, { current: WishRecord[]; newest: WishRecord | undefined }>();
  for (const record of records) {
    const seen = byEvacuee.get(record.evacueeId) ?? { current: [], newest: undefined };
    if (record.status === 'stored') seen.current.push(record);
    if (record.status !== 'rejected' && isNewer(record, seen.newest)) seen.newest = record;
    byEvacuee.set(record.evacueeId, seen);
  }
  const wrongCurrent = [...byEvacuee.entries()].flatMap(([evacueeId, { current, newest }]) =>
    newest !== undefined && (current.length !== 1 || current[0]?.id !== newest.id) ? [{ evacueeId, current: current.map((r) => r.id), newest: newest.id }] : [],
  );
  const supersededByNothing = records
    .filter((record) => record.status === 'superseded' && wishes.has(record.id))
    .filter((record) => {
      const newest = byEvacuee.get(record.evacueeId)?.newest;
      return newest === undefined || compareVersions(newest, record) <= 0;
    })
    .map((record) => record.id);

  const tally = {
    ledger: ledgerTally(ledger, byId),
    store: countBy(records.filter((r) => r.status === 'stored').map((r) => r.wish?.destination)),
    storeCount: await sources.store.countCurrent(),
    readModel: await sources.readModel.tally(),
    wall: await wallTally(sources.readModel),
  };
  const tallies = [tally.store, tally.storeCount, tally.readModel, tally.wall];
  // The ledger's expectation holds only when the ledger's clients were the only writers: compared when nothing else is in the store.
  if (records.every((record) => wishes.has(record.id))) tallies.push(tally.ledger);
  const tallyMatches = tallies.every((t) => DESTINATIONS.every((d) => t[d] === tally.store[d]));

  const deadLetters: Partial<Record<QueueName, { id: string; lastError: string }[]>> = {};
  for (const [queue, dlq] of Object.entries(sources.deadLetters ?? {}) as [QueueName, DeadLetterQueue][]) {
    deadLetters[queue] = (await dlq.list(DEAD_LETTERS_LISTED)).map((letter) => ({ id: letter.message.id, lastError: letter.lastError }));
  }

  return {
    accepted: ledger.length,
    wishes: wishes.size,
    evacuees: new Set(ledger.map((entry) => entry.evacueeId)).size,
    outcomes,
    missing,
    wrongCurrent,
    supersededByNothing,
    tally,
    tallyMatches,
    deadLetters,
    ok: missing.length === 0 && wrongCurrent.length === 0 && supersededByNothing.length === 0 && tallyMatches,
  };
}

async function scanAll(store: WishStore): Promise<WishRecord[]> {
  const all: WishRecord[] = [];
  for (let page = await store.scan(undefined, SCAN_PAGE); page.length > 0; page = await store.scan(page[page.length - 1]?.id, SCAN_PAGE)) {
    all.push(...page);
    if (page.length < SCAN_PAGE) break;
  }
  return all;
}

/** What the tally must be if the ledger's wishes are all there is: each evacuee's newest non-rejected wish, by destination. */
function ledgerTally(ledger: readonly LedgerEntry[], byId: ReadonlyMap<string, WishRecord>): Tally {
  const newest = new Map<string, LedgerEntry>();
  for (const entry of ledger) {
    if (byId.get(entry.id)?.status === 'rejected') continue;
    if (isNewer(entry, newest.get(entry.evacueeId))) newest.set(entry.evacueeId, entry);
  }
  return countBy([...newest.values()].map((entry) => entry.destination));
}

async function wallTally(readModel: ReadModel): Promise<Tally> {
  const counts = { mars: 0, europa: 0 };
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

function countBy(destinations: readonly (Destination | undefined)[]): Tally {
  const counts = { mars: 0, europa: 0 };
  for (const destination of destinations) if (destination !== undefined) counts[destination]++;
  return counts;
}
