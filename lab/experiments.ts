import { QUEUES } from '../src/ports/index.js';
import { waitFor } from '../testkit/index.js';
import type { Check, Experiment, ExperimentOptions, ExperimentResult } from './experiment.js';
import type { Host } from './hosts.js';
import { LOCK_TTL_S } from './postgres-ha.js';
import { powerCut } from './power-cut/power-cut.js';
import { Lab } from './topology.js';
import { runUnderLoad, type RunRecord, type Scenario } from './under-load.js';

/** The stream every 202 depends on: the frontends' sends go to the intake queue's stream. */
const INTAKE_STREAM = `exodus-queue-${QUEUES.intake}`;

/** Where in the load a fault starts: a third in, so the report shows the system before, during and after. */
const faultStart = (options: ExperimentOptions): number => Math.round(options.durationMs / 3000);

/** A lab of its own for one scenario: started, run under load, torn down whatever happens. */
function inLab(
  name: string,
  summary: string,
  scenarioOf: (lab: Lab, options: ExperimentOptions) => Promise<Scenario> | Scenario,
  labOptions: { synchronous: boolean } = { synchronous: true },
): Experiment {
  return {
    name,
    summary,
    run: async (options): Promise<ExperimentResult> => {
      const lab = await Lab.start({ outDir: options.outDir, ...labOptions }, options.log);
      try {
        return await runUnderLoad(lab, await scenarioOf(lab, options), options);
      } finally {
        await lab.teardown();
      }
    },
  };
}

/** The intake stream's leader; the monitoring endpoint may take a moment to report a stream just made. */
async function intakeLeader(lab: Lab): Promise<Host> {
  let leader: string | undefined;
  await waitFor(
    async () => (leader = await lab.nats.streamLeader(INTAKE_STREAM)) !== undefined,
    30_000,
    `no leader found for the stream ${INTAKE_STREAM}`,
    500,
  );
  return lab.host(leader as string);
}

const natsHosts = (lab: Lab): Host[] => ['n1', 'n2', 'n3'].map((name) => lab.host(name));

const natsLeaderPartition = inLab(
  'nats-leader-partition',
  'the intake stream leader cut off from the other two NATS nodes for 20 s, then healed',
  async (lab, options) => {
    const leader = await intakeLeader(lab);
    const at = faultStart(options);
    return {
      name: 'nats-leader-partition',
      faults: [
        {
          label: `${leader.name} (intake leader) cut off from the other NATS nodes`,
          atS: at,
          untilS: at + 20,
          inflict: async () => leader.cutFrom(natsHosts(lab).filter((host) => host !== leader)),
          heal: async () => leader.heal(),
        },
      ],
      checks: async () => [await newLeaderElsewhere(lab, leader)],
    };
  },
);

const natsNodeKill = inLab(
  'nats-node-kill',
  'kill -9 of the intake stream leader NATS node, back after 10 s',
  async (lab, options) => {
    const leader = await intakeLeader(lab);
    const at = faultStart(options);
    return {
      name: 'nats-node-kill',
      faults: [
        {
          label: `kill -9 of NATS ${leader.name} (intake leader)`,
          atS: at,
          untilS: at + 10,
          inflict: async () => lab.nats.kill(leader),
          heal: async () => lab.nats.restart(leader),
        },
      ],
      checks: async () => [await newLeaderElsewhere(lab, leader)],
    };
  },
);

async function newLeaderElsewhere(lab: Lab, old: Host): Promise<Check> {
  const now = await lab.nats.streamLeader(INTAKE_STREAM);
  return {
    name: 'the intake stream has a leader again',
    ok: now !== undefined,
    detail: `leader before the fault ${old.name}, after ${now ?? 'none'}`,
  };
}

/** kill -9 of everything on the primary's host; after `downS` its Patroni is started again and must rejoin. */
function pgFailover(name: string, synchronous: boolean, summary: string): Experiment {
  return inLab(
    name,
    summary,
    async (lab, options) => {
      const primary = await lab.postgres.primary();
      if (primary === undefined) throw new Error('no PostgreSQL primary');
      const at = faultStart(options);
      return {
        name,
        faults: [
          {
            label: `kill -9 of PostgreSQL primary ${primary.name} (postgres and Patroni)`,
            atS: at,
            untilS: at + 25,
            inflict: async () => primary.crash(),
            heal: async () => lab.postgres.restart(primary),
          },
        ],
        checks: async () => haChecks(lab, primary),
      };
    },
    { synchronous },
  );
}

const pgPrimaryPartition = inLab(
  'pg-primary-partition',
  'the PostgreSQL primary cut off from every host for 25 s: no split brain, no acknowledged write lost',
  async (lab, options) => {
    const primary = await lab.postgres.primary();
    if (primary === undefined) throw new Error('no PostgreSQL primary');
    const at = faultStart(options);
    // Asked from inside the cut-off host every half second: when did it stop being a primary?
    let cutAt = 0;
    let stoppedAfterS: number | undefined;
    let promotedAfterS: number | undefined;
    const standby = ['pg1', 'pg2'].map((name) => lab.host(name)).find((host) => host !== primary) as Host;
    let watch: NodeJS.Timeout | undefined;
    return {
      name: 'pg-primary-partition',
      faults: [
        {
          label: `PostgreSQL primary ${primary.name} cut off from everyone`,
          atS: at,
          untilS: at + 25,
          inflict: async () => {
            primary.cutFromEveryone();
            cutAt = Date.now();
            watch = setInterval(() => {
              const afterS = (Date.now() - cutAt) / 1000;
              if (stoppedAfterS === undefined && !writablePrimary(primary)) stoppedAfterS = afterS;
              void lab.postgres.role(standby).then((role) => {
                if (promotedAfterS === undefined && role === 'primary') promotedAfterS = afterS;
              });
            }, 500);
          },
          heal: async () => {
            clearInterval(watch);
            primary.heal();
          },
        },
      ],
      checks: async () => [
        {
          // Patroni's leader lock lives LOCK_TTL_S without renewal: the standby cannot be promoted before
          // it expires, and a cut-off primary that cannot renew it stops first.
          name: 'the cut-off primary stopped taking writes before the standby was promoted (no split brain)',
          ok: stoppedAfterS !== undefined && (promotedAfterS === undefined || stoppedAfterS < promotedAfterS),
          detail: `after the cut: the old primary stopped at ${seconds(stoppedAfterS)}, ${standby.name} was promoted at ${seconds(promotedAfterS)} (lock ttl ${LOCK_TTL_S} s; checked every 0.5 s)`,
        },
        ...(await haChecks(lab, primary)),
      ],
    };
  },
);

const seconds = (value: number | undefined): string => (value === undefined ? 'never' : `${value.toFixed(1)} s`);

/** After a PostgreSQL fault: one primary, on the other node, and the old primary back as a replica. */
async function haChecks(lab: Lab, old: Host): Promise<Check[]> {
  let rejoined = true;
  await lab.postgres.waitForReplica(old, 90_000).catch(() => (rejoined = false));
  const members = await lab.postgres.cluster();
  const leaders = members.filter((member) => member.role === 'leader');
  return [
    {
      name: 'exactly one primary, not the old one',
      ok: leaders.length === 1 && leaders[0]?.name !== old.name,
      detail: members.map((m) => `${m.name} ${m.role} ${m.state}`).join(', '),
    },
    { name: `the old primary ${old.name} rejoined as a replica`, ok: rejoined, detail: rejoined ? 'yes' : 'no' },
  ];
}

/**
 * Whether the node's own Patroni says it is a running primary, asked from inside its host (where its
 * own address still answers when it is cut off). A demoted node may keep the role with its server stopped.
 */
function writablePrimary(host: Host): boolean {
  try {
    const body = host.run('curl', ['-s', '--max-time', '1', `http://${host.address}:8008/patroni`]);
    const { role, state } = JSON.parse(body) as { role?: string; state?: string };
    return (role === 'master' || role === 'primary') && state === 'running';
  } catch {
    // No answer from its own Patroni: nothing there is taking writes as a primary it manages.
    return false;
  }
}

const frontendPartition = inLab(
  'frontend-partition',
  'fe1 cut off from every NATS node for 20 s: it answers 503, never 202; fe2 keeps accepting',
  (lab, options) => {
    const at = faultStart(options);
    const fe1 = lab.host('fe1');
    return {
      name: 'frontend-partition',
      faults: [
        {
          label: 'fe1 cut off from the NATS cluster',
          atS: at,
          untilS: at + 20,
          inflict: async () => fe1.cutFrom(natsHosts(lab)),
          heal: async () => fe1.heal(),
        },
      ],
      checks: (record) => frontendPartitionChecks(record),
    };
  },
);

/** No 202 from the cut-off frontend for a wish it took while it could not reach a quorum; the other kept accepting. */
export function frontendPartitionChecks(record: RunRecord): Check[] {
  const window = record.windows[0];
  if (window === undefined) return [{ name: 'the partition happened', ok: false, detail: 'no fault window' }];
  const to = window.to ?? Date.now();
  const inWindow = (entries: readonly { submittedAt: string }[] | undefined): number =>
    (entries ?? []).filter((entry) => {
      const at = Date.parse(entry.submittedAt);
      return at >= window.from && at <= to;
    }).length;
  const fromCutOff = inWindow(record.accepted.get('fe1'));
  const fromOther = inWindow(record.accepted.get('fe2'));
  return [
    {
      name: 'no 202 from the frontend that could not reach the broker',
      ok: fromCutOff === 0,
      detail: `${fromCutOff} wishes taken by fe1 during the partition were answered 202`,
    },
    {
      name: 'the other frontend kept accepting',
      ok: fromOther > 0,
      detail: `${fromOther} wishes accepted by fe2 during the partition`,
    },
  ];
}

const lossyLink = inLab(
  'lossy-link',
  'consumer host c1 drops 20 % of its packets both ways for 30 s: lost 0, nothing counted twice',
  (lab, options) => {
    const at = faultStart(options);
    const c1 = lab.host('c1');
    return {
      name: 'lossy-link',
      faults: [
        {
          label: 'c1 drops 20 % of its packets',
          atS: at,
          untilS: at + 30,
          inflict: async () => c1.loseShare(0.2),
          heal: async () => c1.heal(),
        },
      ],
    };
  },
);

/** Every experiment the lab knows, in the order `list` shows them. */
export const EXPERIMENTS: readonly Experiment[] = [
  natsLeaderPartition,
  natsNodeKill,
  pgFailover(
    'pg-failover',
    true,
    'kill -9 of the PostgreSQL primary (synchronous standby): the standby is promoted, the old primary rejoins',
  ),
  pgPrimaryPartition,
  frontendPartition,
  lossyLink,
  powerCut,
  pgFailover(
    'async-replication',
    false,
    'a demonstration: pg-failover with asynchronous replication, to see what the audit finds',
  ),
];
