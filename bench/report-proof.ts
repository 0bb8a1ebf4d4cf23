import { OTHERS } from './cpu.js';
import type { DrainReport } from './drain.js';
import type { IdleReport, IdleRun, IdleWindow } from './idle.js';
import { table } from './markdown.js';
import type { OverloadReport } from './overload.js';
import type { PeerReport } from './peer/drain.js';

/** latest.md's sections for issue 25's proof beyond the drains: the peer beside exodus, idle, overload. */

const seconds = (ms: number | undefined): string =>
  ms === undefined ? 'not within the timeout' : `${(ms / 1000).toFixed(2)} s`;
const us = (value: number | undefined): string => (value === undefined ? '–' : `${value} µs`);

export function peerSection(
  peer: PeerReport,
  embedded: DrainReport | undefined,
  distributed: DrainReport | undefined,
): string[] {
  const others = (d: { cpuUsPerWishByProcess: Readonly<Record<string, number>> }): string =>
    us(d.cpuUsPerWishByProcess[OTHERS]);
  const row = (
    name: string,
    d: Pick<
      DrainReport,
      'allStoredMs' | 'allTalliedMs' | 'ingestPerSec' | 'cpuUsPerWish' | 'cpuUsPerWishByProcess' | 'latency'
    > & {
      memory: { peakMb: number };
    },
  ): (string | number)[] => [
    name,
    seconds(d.allTalliedMs),
    seconds(d.allStoredMs),
    d.ingestPerSec.toLocaleString('en-US'),
    us(d.cpuUsPerWish.system),
    others(d),
    `${d.latency.p99Ms} ms`,
    `${d.memory.peakMb} MB`,
  ];
  const rows = [
    ...(embedded === undefined ? [] : [row('exodus, SQLite (embedded)', embedded)]),
    ...(distributed === undefined ? [] : [row('exodus, NATS JetStream + PostgreSQL', distributed)]),
    row('peer: Fastify + BullMQ (Redis) + PostgreSQL', peer),
  ];
  return [
    `## Peer-style baseline: the same ${peer.evacuees.toLocaleString('en-US')}-wish drain`,
    '',
    'A plain Fastify + BullMQ + PostgreSQL pipeline with the same four services (frontend, parser, worker, tally), each',
    'its own process, doing less: no durable 202 (it answers once the job is in Redis memory), no pass check, no',
    'tracing, metrics or logs; its tally counts arrivals. Same roster, same 64 closed-model connections, same run.',
    '"servers" is the CPU of processes the bench did not start (Redis, PostgreSQL, NATS, and any other load) per wish.',
    '',
    table(
      [
        'system',
        'all in the tally',
        'all stored',
        '202s per second',
        'CPU per wish, its Node processes',
        'servers',
        'POST p99',
        'RSS peak',
      ],
      rows,
    ),
    '',
    `Peer CPU µs per wish by process: ${Object.entries(peer.cpuUsPerWishByProcess)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')}.`,
    '',
  ];
}

export function idleSection(idle: IdleReport): string[] {
  const names = [...new Set(idle.runs.flatMap((run) => run.cpu.processes.map((p) => p.name)))];
  /** Each process's share over one window, and all of them together. */
  const cpuRows = (windowOf: (run: IdleRun) => IdleWindow): (string | number)[][] => [
    ...names.map((name) => [
      name,
      ...idle.runs.map((run) => windowOf(run).cpu.processes.find((p) => p.name === name)?.cpuPercent ?? ''),
    ]),
    ['**all exodus processes**', ...idle.runs.map((run) => `**${windowOf(run).totalPercent}**`)],
  ];
  const others = (windowOf: (run: IdleRun) => IdleWindow): (string | number)[] => [
    "other processes (not the bench's)",
    ...idle.runs.map((run) => windowOf(run).cpu.othersPercent ?? ''),
  ];
  const first = (run: IdleRun): IdleWindow => run;
  const atRest = (run: IdleRun): IdleWindow => run.atRest;
  const rows = [
    ...cpuRows(first),
    ['RSS, all processes (MB)', ...idle.runs.map((run) => run.rssMb)],
    ['settled after (s)', ...idle.runs.map((run) => (run.settledAfterMs / 1000).toFixed(1))],
    others(first),
  ];
  const restRows = [...cpuRows(atRest), others(atRest)];
  const header = ['process', ...idle.runs.map((run) => run.variant)];
  return [
    '## Idle: `exodus up` with nothing sent (% of one core)',
    '',
    'Every process found as a descendant of the supervisor. As shipped, the console runs and the synthetic canary',
    'hands in a wish every 10 s; the second column is the same without the canary.',
    '',
    `### At rest: ${idle.restWindowMs / 1000} s from ${idle.restAfterMs / 1000} s after ready (what the target judges)`,
    '',
    table(header, restRows),
    '',
    `### The first ${idle.windowMs / 1000} s after start-up settled (its tail: first compilations, V8's memory reducer)`,
    '',
    table(header, rows),
    '',
  ];
}

export function overloadSection(overload: OverloadReport): string[] {
  const answers = Object.entries(overload.answers)
    .map(([key, n]) => `${key}×${n}`)
    .join(' ');
  return [
    `## Overload: ${overload.offeredPerSec.toLocaleString('en-US')} POST/s for ${overload.durationMs / 1000} s over up to ${overload.connections.toLocaleString('en-US')} connections`,
    '',
    'Open model, no retries, against `exodus up` as shipped; the load generator shares the 2 cores. A due arrival',
    'finding every connection waiting is skipped (the generator cannot send it), never queued in the client.',
    '',
    table(
      ['measure', 'value'],
      [
        [
          'arrivals due / skipped',
          `${overload.arrivals.toLocaleString('en-US')} / ${overload.skipped.toLocaleString('en-US')}`,
        ],
        ['accepted (202)', overload.accepted.toLocaleString('en-US')],
        [
          '503 / of them without Retry-After',
          `${overload.shed503.toLocaleString('en-US')} / ${overload.shedWithoutRetryAfter}`,
        ],
        [`client timeouts (no byte for ${overload.requestTimeoutMs / 1000} s)`, overload.timeouts],
        ['202 p99, from when due', `${overload.acceptedP99Ms} ms`],
        ['every answer', answers],
        [
          'CPU, % of one core',
          overload.cpu.processes.map((p) => `${p.name} ${p.cpuPercent}`).join(', ') +
            `, others ${overload.cpu.othersPercent ?? '?'}`,
        ],
      ],
    ),
    '',
  ];
}
