/**
 * Names that telemetry producers (every process) and its reader (the console) must agree on. The
 * OpenTelemetry semantic-convention names are written where they are used; these are Exodus's own.
 */
export const METRIC = {
  wishes: 'exodus.wishes',
  queueMessages: 'exodus.queue.messages',
  queueOldestAge: 'exodus.queue.oldest_message.age',
  tally: 'exodus.tally.wishes',
  /** From a wish's 202 to its place on the wall, recorded by the tally (the freshness SLO's indicator). */
  timeToWall: 'exodus.wish.time_to_wall',
  /** Supervisor gauges and counter by service, attribute `exodus.service` (a `service.name`). */
  processesRunning: 'exodus.process.running',
  processesWanted: 'exodus.process.wanted',
  processRestarts: 'exodus.process.restarts',
  /**
   * The supervisor's gauge per process it keeps (`exodus.service`, `exodus.process`): its OS pid while
   * it runs, 0 while it waits to be restarted. The pid is the value, not an attribute, because the
   * SDK keeps reporting every attribute set an observable instrument ever had: a pid among the
   * attributes would list each process once more per restart. The console's one source for what runs.
   */
  processPid: 'exodus.process.pid',
  /** Per process kept: exits in a row of its crash loop, 0 when it is in none. */
  processCrashLoop: 'exodus.process.crash_loop',
  /** Per process kept: when it is started again (unix seconds) while it waits to be; 0 otherwise. */
  processNextStart: 'exodus.process.next_start',
  refusedRequests: 'exodus.http.server.refused_requests',
  /** Every process reports it: how the console knows a process is alive. */
  memory: 'process.memory.usage',
  /** CPU seconds used, by `cpu.mode` (user, system): a counter, so its rate is cores used. */
  cpuTime: 'process.cpu.time',
  httpServerDuration: 'http.server.request.duration',
  messagingProcessDuration: 'messaging.process.duration',
} as const;

export const ATTRIBUTE = {
  /** On a log record: it is an event (see EVENT); the console lists it under Events. */
  eventName: 'event.name',
  service: 'exodus.service',
  process: 'exodus.process',
  queueState: 'exodus.queue.state',
  wishOutcome: 'exodus.wish.outcome',
  destination: 'exodus.destination',
  wishId: 'exodus.wish.id',
  evacueeId: 'exodus.evacuee.id',
} as const;

/** Event kinds: a log line with `event: <kind>` becomes a log record with `event.name` = kind. */
export const EVENT = {
  processStarted: 'process.started',
  processExited: 'process.exited',
  processRestarted: 'process.restarted',
  /** Exits in a row, each soon after its start (runtime/supervisor.ts CRASH_LOOP_EXITS): told once per loop. */
  processCrashLoop: 'process.crash_loop',
  processCrashLoopEnded: 'process.crash_loop_ended',
  /** A process that exited because it was told to stop: never a crash. */
  processStopped: 'process.stopped',
  deadLettered: 'message.dead_lettered',
  sheddingOn: 'load_shedding.on',
  sheddingOff: 'load_shedding.off',
  injectionAttempt: 'wish.injection_attempt',
  /** `exodus chaos` began or ended a fault (`fault`, `target`, `phase`: started / ended). */
  chaosFault: 'chaos.fault',
  /** The console's burn-rate alert on an SLO fired (`slo`, `alert`, `severity`, `burn_rate`, `budget_burnt`), or resolved. */
  alertFiring: 'alert.firing',
  alertResolved: 'alert.resolved',
} as const;
