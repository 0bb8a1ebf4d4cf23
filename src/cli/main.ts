import { ConfigError } from '../runtime/index.js';
import { CliError } from './args.js';
import { auditCommand } from './audit.js';
import { chaosCommand } from './chaos.js';
import { dlqCommand } from './dlq.js';
import { loadCommand } from './load.js';
import { migrateCommand } from './migrate.js';
import { rosterCommand } from './roster.js';
import { serveCommand } from './serve.js';
import { sloCommand } from './slo.js';
import { statusCommand } from './status.js';
import { upCommand } from './up.js';

const USAGE = `usage: exodus <command> [flags]
  up [--data DIR] [--port N] [--replicas parser=1,worker=2,tally=1]   run everything on this machine,
     [--console-port N] [--no-console]                                 with the ops console (default port 3001)
  serve <frontend|parser|worker|tally|console> [engine flags]          run one service
     console: [--console-host H] [--console-port N] [--console-retention 24h] [--console-max-mb 256]
  roster generate --data DIR --count N --out FILE | import FILE         evacuees and boarding passes
  status --data DIR                                                     services and queues
  dlq list|show|redrive|purge --data DIR --queue NAME [--id ID]         dead letters
  migrate --store URL                                                   apply pending store migrations (PostgreSQL)
  audit --ledger FILE [--wait 30s] [--json]                             every accepted wish accounted for; exit 1 if not
  load --target URL --roster FILE --scenario NAME|FILE                  open-model load in phases, report, ledger, audit
     [--rate N] [--duration D] [--out DIR] [--connections N] [--seed N] [--audit-wait D]
  chaos kill --service NAME [--every D --for D] | pause --service NAME --for D     faults into a running exodus up,
     | store-outage --for D | broker-restart [--abrupt] [--down D] | poison --count N     hypothesis checked, journal
     | run NAME|FILE [--roster FILE]    [--out DIR] [--recover-within D] [--drain-within D]
  slo rules [--dir slo] [--out FILE]                                    the SLOs as Prometheus rules and burn-rate alerts
engine flags: --queue URL --store URL (default sqlite:<data dir>); every flag also reads EXODUS_<NAME>`;

const COMMANDS: Readonly<Record<string, (argv: readonly string[]) => Promise<void>>> = {
  up: upCommand,
  serve: serveCommand,
  roster: rosterCommand,
  status: statusCommand,
  dlq: dlqCommand,
  migrate: migrateCommand,
  audit: auditCommand,
  load: loadCommand,
  chaos: chaosCommand,
  slo: sloCommand,
};

async function main(argv: readonly string[]): Promise<void> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    console.log(USAGE);
    return;
  }
  const command = COMMANDS[verb];
  if (command === undefined) throw new CliError(`unknown command "${verb}" (try: exodus --help)`);
  await command(rest);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof CliError || error instanceof ConfigError) {
    console.error(`exodus: ${error.message}`);
    process.exit(2);
  }
  console.error(`exodus: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
