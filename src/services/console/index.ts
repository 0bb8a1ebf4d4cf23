import type { Logger } from '../../runtime/index.js';

/** How `exodus serve console` (and `exodus up`) run the ops console. */
export interface ConsoleOptions {
  readonly host: string;
  readonly port: number;
  /** Its database lives at `<dataDir>/console.db`. */
  readonly dataDir: string;
  /** Required on every page, API call and OTLP request (see runtime/admin-token.ts). */
  readonly adminToken: string;
  /** Telemetry older than this is deleted. */
  readonly retentionMs: number;
  /** The database is kept under this size: oldest telemetry goes first. */
  readonly maxBytes: number;
  readonly logger: Logger;
}

export interface RunningConsole {
  /** `http://host:port` */
  readonly url: string;
  close(): Promise<void>;
}

export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  void options;
  throw new Error('the ops console is being built');
}
