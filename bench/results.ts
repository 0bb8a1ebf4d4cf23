import type { Environment } from './calibrate.js';
import type { DrainReport } from './drain.js';
import type { IdleReport } from './idle.js';
import type { IngestReport } from './ingest.js';
import type { NatsShutdownReport } from './nats-shutdown.js';
import type { OverloadReport } from './overload.js';
import type { PeerReport } from './peer/drain.js';
import type { GitState, Machine } from './provenance.js';
import type { QueueEnginesReport } from './queue-engines.js';
import type { BenchScenario } from './scenarios.js';

/** Everything one `npm run bench` measured; written as bench/results/latest.json. A part that did not run is undefined. */
export interface BenchResults {
  readonly startedAt: string;
  readonly elapsedSec: number;
  readonly machine: Machine;
  readonly environment: Environment;
  readonly git: GitState | undefined;
  readonly scenario: BenchScenario;
  readonly ingest: IngestReport | undefined;
  readonly drain: DrainReport | undefined;
  readonly drainDistributed?: DrainReport | undefined;
  /** The embedded drain without telemetry export and with the console receiving it, in the same run (off, on, on, off). */
  readonly telemetry?: { readonly off: readonly DrainReport[]; readonly on: readonly DrainReport[] } | undefined;
  readonly queueEngines: QueueEnginesReport | undefined;
  readonly natsShutdown?: NatsShutdownReport | undefined;
  readonly idle?: IdleReport | undefined;
  readonly overload?: OverloadReport | undefined;
  readonly peer?: PeerReport | undefined;
  /** Phases that threw, with the message: a broken phase is reported, never silently missing. */
  readonly failures: readonly string[];
}
