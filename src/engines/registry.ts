import type { Engine } from './engine.js';

/** What an engine is opened for: the queues and topics, or the store and read model. */
export type EngineRole = 'queue' | 'store';

interface Registration {
  /** URL schemes that name this engine, lower case. */
  readonly schemes: readonly string[];
  /** The roles it serves, each with the URL shape shown when a URL names no engine. */
  readonly serves: Readonly<Partial<Record<EngineRole, string>>>;
  /**
   * Loads the engine module. Client-server engines and their clients load only when a URL asks for
   * them: a process on the embedded default neither pays their start-up time nor keeps their code.
   */
  readonly load: () => Promise<{ readonly engine: Engine }>;
}

/** Every engine, one entry each: adding an engine is its folder and its entry here. */
export const ENGINES: readonly Registration[] = [
  {
    schemes: ['sqlite'],
    serves: { queue: 'sqlite:<dir>', store: 'sqlite:<dir>' },
    load: () => import('./sqlite/index.js'),
  },
  {
    schemes: ['nats'],
    serves: { queue: 'nats://host:port[,host:port…][?prefix=NAME&replicas=N]' },
    load: () => import('./nats/index.js'),
  },
  { schemes: ['sqs'], serves: { queue: 'sqs://REGION[/NAME][?endpoint=URL]' }, load: () => import('./sqs/index.js') },
  {
    schemes: ['postgres', 'postgresql'],
    serves: { store: 'postgres://host:port/db[?schema=NAME]' },
    load: () => import('./postgres/index.js'),
  },
  {
    schemes: ['dynamodb'],
    serves: { store: 'dynamodb://REGION[/TABLE][?endpoint=URL]' },
    load: () => import('./dynamodb/index.js'),
  },
];

/** The URL shape of every engine serving `role`, in the table's order: for help texts and errors. */
export function engineUrlShapes(role: EngineRole): string[] {
  return ENGINES.flatMap(({ serves }) => serves[role] ?? []);
}

export class UnknownEngineError extends Error {
  constructor(role: EngineRole, url: string) {
    super(`no ${role} engine for "${url}" (known: ${engineUrlShapes(role).join(', ')})`);
  }
}

/** The engine a URL's scheme names (one serving `role`, when given); undefined when none does. */
export async function findEngine(url: string, role?: EngineRole): Promise<Engine | undefined> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? '';
  const registration = ENGINES.find(
    ({ schemes, serves }) => schemes.includes(scheme) && (role === undefined || serves[role] !== undefined),
  );
  return registration === undefined ? undefined : (await registration.load()).engine;
}

/** The engine a URL names for `role`; an `UnknownEngineError` naming the engines of that role when none does. */
export async function engineFor(url: string, role: EngineRole): Promise<Engine> {
  const engine = await findEngine(url, role);
  if (engine === undefined) throw new UnknownEngineError(role, url);
  return engine;
}
