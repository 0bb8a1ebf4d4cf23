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
  /**
   * The synthetic canary (`exodus up`, ops/canary.ts): seconds from its POST to each stage it saw,
   * by `exodus.canary.stage` (accepted: the 202; stored: the status says so; wall: on the read model).
   */
  canaryDuration: 'exodus.canary.duration',
  /** Canary runs by `exodus.canary.outcome` (ok, failed). */
  canaryRuns: 'exodus.canary.runs',
  refusedRequests: 'exodus.http.server.refused_requests',
  /** Per consumer and dependency (`exodus.dependency`): messages held now because that dependency is away. */
  dependencyHeld: 'exodus.dependency.held_messages',
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
  /** What a consumer waits for: `postgres`, `sqlite`, `nats`, `dynamodb`… (runtime/dependency-watch.ts). */
  dependency: 'exodus.dependency',
  canaryStage: 'exodus.canary.stage',
  canaryOutcome: 'exodus.canary.outcome',
  /** On `exodus.wish.time_to_wall`: true for the canary's runs (its freshness input), absent for the tally's own. */
  canary: 'exodus.canary',
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
  /**
   * Written by the ops console itself, not by a process: a service's process reported a version
   * the service had not run lately (`from`, `to`, the process first heard as it). See console/deploys.ts.
   */
  serviceDeployed: 'service.deployed',
  /** `exodus chaos` began or ended a fault (`fault`, `target`, `phase`: started / ended). */
  chaosFault: 'chaos.fault',
  /** A consumer began holding messages because a dependency is away (`dependency`, `queue`, `held`). */
  dependencyUnavailable: 'dependency.unavailable',
  /** The last held message went through (`dependency`, `queue`, `heldPeak`, `outageMs`). */
  dependencyAvailable: 'dependency.available',
  /** A synthetic canary run failed (`canary.error` says at which stage and why; see CANARY_RUN). */
  canaryFailed: 'canary.failed',
  /** The console's burn-rate alert on an SLO fired (`slo`, `alert`, `severity`, `burn_rate`, `budget_burnt`), or resolved. */
  alertFiring: 'alert.firing',
  alertResolved: 'alert.resolved',
} as const;

/**
 * Each canary run is one log record carrying these attributes (the line's `canary` field, flattened):
 * a failed run is the `canary.failed` event, an ok one a plain line. The console reads its runs back
 * from them (`GET /api/v1/canary`). Timings in ms from the POST; absent when the stage was not seen.
 */
export const CANARY_RUN = {
  field: 'canary',
  /** When its POST was sent (ISO 8601); the record's own time is the run's end. */
  at: 'canary.at',
  ok: 'canary.ok',
  wishId: 'canary.wishId',
  acceptedMs: 'canary.acceptedMs',
  storedMs: 'canary.storedMs',
  wallMs: 'canary.wallMs',
  tookMs: 'canary.tookMs',
  error: 'canary.error',
} as const;
