import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeStoreUnavailable, messagingBroker } from '../../engines/chaos.js';
import { openMessaging, type EngineOptions } from '../../engines/index.js';
import { QUEUES, type Envelope } from '../../ports/index.js';
import { findNatsServer, restartNatsServer, startNatsServer } from './nats-server.js';
import { killProcess, processesOf } from './processes.js';
import { findProxy, setProxyFault } from './proxy-control.js';
import type { NetworkFault } from './tcp-proxy.js';

/** The faults an experiment can inject, as data. Durations are ms. */
export type FaultSpec =
  /** SIGKILL a process of `service`: once, or every `everyMs` for `forMs`. The supervisor restarts it. */
  | { readonly kind: 'kill'; readonly service: string; readonly everyMs?: number; readonly forMs?: number }
  /** SIGSTOP a process of `service` for `forMs`, then SIGCONT: a hung consumer. */
  | { readonly kind: 'pause'; readonly service: string; readonly forMs: number }
  /** The store unavailable for `forMs` (PostgreSQL refuses connections; SQLite's store is write-locked). */
  | { readonly kind: 'store-outage'; readonly forMs: number }
  /** The NATS broker stopped (lame-duck mode, or `abrupt`: SIGKILL), down for `downMs`, started again. */
  | { readonly kind: 'broker-restart'; readonly abrupt: boolean; readonly downMs: number }
  /** `count` messages no parser can read, sent to the intake queue: each must be dead-lettered, nothing else. */
  | { readonly kind: 'poison'; readonly count: number }
  /** Latency, a black hole or resets for `forMs` on the connections through the fault proxy named `to` (`exodus chaos proxy`). */
  | { readonly kind: 'network'; readonly to: string; readonly fault: NetworkFault; readonly forMs: number };

export type FaultKind = FaultSpec['kind'];

/** What a fault needs to find the system and report what it does. */
export interface FaultContext {
  readonly dataDir: string;
  readonly queueUrl: string;
  readonly storeUrl: string;
  readonly engineOptions: EngineOptions;
  /** Where files a fault makes go (a restarted broker's log). */
  readonly outDir: string;
  /** Aborted on Ctrl-C or when the experiment ends early: the fault stops and undoes what it did. */
  readonly signal: AbortSignal;
  readonly random: () => number;
  /** Every action, as it happens: the journal, and an event in the console. */
  readonly note: (action: string, detail: Readonly<Record<string, unknown>>) => void;
  /** Ids of messages the experiment itself made poison: expected in the dead letters, removed at the end. */
  readonly poisoned: Set<string>;
}

/** A fault in words, for journals and marks on a load report's time axis. */
export function describeFault(spec: FaultSpec): string {
  const s = (ms: number): string => `${Math.round(ms / 100) / 10} s`;
  switch (spec.kind) {
    case 'kill':
      return spec.everyMs === undefined
        ? `kill -9 a ${spec.service}`
        : `kill -9 a ${spec.service} every ${s(spec.everyMs)} for ${s(spec.forMs ?? 0)}`;
    case 'pause':
      return `pause a ${spec.service} for ${s(spec.forMs)}`;
    case 'store-outage':
      return `store outage for ${s(spec.forMs)}`;
    case 'broker-restart':
      return `${spec.abrupt ? 'abrupt' : 'lame-duck'} broker restart, down ${s(spec.downMs)}`;
    case 'poison':
      return `${spec.count} poison messages`;
    case 'network':
      return `${spec.fault.kind === 'latency' ? `${spec.fault.ms} ms latency` : spec.fault.kind === 'drop' ? 'dropped traffic' : 'reset connections'} to the ${spec.to} for ${s(spec.forMs)}`;
  }
}

/**
 * Runs one fault to its end and undoes what it changed on every way out (done, error, abort): a
 * paused process is continued, the store opened again, the broker started again. Resolves when the
 * fault is over; rejects only when it could not be injected or undone.
 */
export async function runFault(spec: FaultSpec, ctx: FaultContext): Promise<void> {
  switch (spec.kind) {
    case 'kill':
      return killRepeatedly(spec.service, spec.everyMs, spec.forMs, ctx);
    case 'pause':
      return pause(spec.service, spec.forMs, ctx);
    case 'store-outage':
      return storeOutage(spec.forMs, ctx);
    case 'broker-restart':
      return brokerRestart(spec.abrupt, spec.downMs, ctx);
    case 'poison':
      return poison(spec.count, ctx);
    case 'network':
      return network(spec.to, spec.fault, spec.forMs, ctx);
  }
}

async function killRepeatedly(
  service: string,
  everyMs: number | undefined,
  forMs: number | undefined,
  ctx: FaultContext,
): Promise<void> {
  const until = Date.now() + (everyMs === undefined ? 0 : (forMs ?? 0));
  do {
    const victim = killProcess(ctx.dataDir, service, (running) => running[Math.floor(ctx.random() * running.length)]);
    if (victim === undefined)
      ctx.note('kill skipped', { service, why: 'no process of it is running (still restarting)' });
    else ctx.note('killed', { service, process: victim.name, pid: victim.pid });
    if (everyMs === undefined || !(await wait(everyMs, ctx.signal))) return;
  } while (Date.now() < until);
}

async function pause(service: string, forMs: number, ctx: FaultContext): Promise<void> {
  const victim = processesOf(ctx.dataDir, service)[0];
  if (victim === undefined) throw new Error(`no process of ${service} is running to pause`);
  process.kill(victim.pid, 'SIGSTOP');
  ctx.note('paused', { service, process: victim.name, pid: victim.pid });
  try {
    await wait(forMs, ctx.signal);
  } finally {
    try {
      process.kill(victim.pid, 'SIGCONT');
      ctx.note('continued', { service, process: victim.name, pid: victim.pid });
    } catch {
      ctx.note('continue skipped', { process: victim.name, why: 'the process is gone' });
    }
  }
}

async function storeOutage(forMs: number, ctx: FaultContext): Promise<void> {
  const outage = await makeStoreUnavailable(ctx.storeUrl);
  ctx.note('store unavailable', { how: outage.what });
  try {
    await wait(forMs, ctx.signal);
  } finally {
    await outage.restore();
    ctx.note('store available', {});
  }
}

async function brokerRestart(abrupt: boolean, downMs: number, ctx: FaultContext): Promise<void> {
  const broker = await messagingBroker(ctx.queueUrl);
  if (broker === undefined)
    throw new Error(
      `broker-restart needs a NATS queue engine (--queue nats://…); this system's queue is ${ctx.queueUrl}`,
    );
  const { port } = broker;
  const server = findNatsServer(port);
  if (server === undefined)
    throw new Error(`no nats-server on port ${port} runs on this machine (readable by this user) to restart`);
  const logFile = join(ctx.outDir, `nats-server-${port}.log`);
  ctx.note('broker stopping', { pid: server.pid, port, how: abrupt ? 'SIGKILL' : 'lame-duck mode (SIGUSR2)' });
  try {
    const pid = await restartNatsServer(server, { abrupt, downMs, logFile, timeoutMs: 150_000 });
    ctx.note('broker started', { pid, port, log: logFile });
  } catch (error) {
    // Whatever went wrong, leave a broker running.
    if (findNatsServer(port) === undefined) await startNatsServer(server, logFile).catch(() => undefined);
    throw error;
  }
}

async function poison(count: number, ctx: FaultContext): Promise<void> {
  const messaging = await openMessaging(ctx.queueUrl, ctx.engineOptions);
  const run = randomUUID().slice(0, 8);
  try {
    const messages: Envelope[] = Array.from({ length: count }, (_, i) => ({
      specversion: '1.0',
      id: `chaos-poison-${run}-${i + 1}`,
      source: '/exodus/chaos',
      type: 'exodus.wish.accepted',
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      traceparent: '',
      data: { poison: 'not a wish' },
    }));
    await messaging.queue(QUEUES.intake).send(messages);
    for (const message of messages) ctx.poisoned.add(message.id);
    ctx.note('poison sent', { queue: QUEUES.intake, count, ids: messages.map((m) => m.id) });
  } finally {
    await messaging.close();
  }
}

async function network(to: string, fault: NetworkFault, forMs: number, ctx: FaultContext): Promise<void> {
  const proxy = findProxy(ctx.dataDir, to);
  await setProxyFault(proxy, fault, forMs);
  ctx.note('network fault on', {
    to,
    fault: fault.kind,
    ...(fault.kind === 'latency' ? { ms: fault.ms } : {}),
    proxy: `${proxy.listen.host}:${proxy.listen.port} → ${proxy.upstream.host}:${proxy.upstream.port}`,
  });
  try {
    await wait(forMs, ctx.signal);
  } finally {
    await setProxyFault(proxy, undefined);
    ctx.note('network fault off', { to });
  }
}

/** Waits `ms` unless aborted first; true when the full wait passed. */
async function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
