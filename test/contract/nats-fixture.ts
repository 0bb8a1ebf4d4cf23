import { randomBytes } from 'node:crypto';
import type { EngineOptions } from '../../src/engines/index.js';
import { reachable } from '../../src/ops/index.js';
import type { MessagingEngine } from '../../src/ports/index.js';
import { HAVE_NATS_SERVER, startPrivateNatsCluster, type PrivateNatsCluster } from '../../testkit/index.js';
import { ownedMessaging } from './owned.js';

/**
 * The NATS contract runs against a real server (EXODUS_TEST_NATS_URL, default the local one). Each
 * engine gets its own prefix, so its streams are its own, and deletes them on close: the server
 * is shared, nothing may be left behind.
 */
export const NATS_URL = process.env['EXODUS_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';
const [host = '127.0.0.1', port = '4222'] = (/^nats:\/\/([^,?/]+)/i.exec(NATS_URL)?.[1] ?? '').split(':');

/** Why the NATS contract cannot run here (no server), or undefined when it can. */
export const NATS_UNAVAILABLE: string | undefined = (await reachable(host, Number(port)))
  ? undefined
  : `no NATS server at ${host}:${port} (start nats-server -js, or set EXODUS_TEST_NATS_URL)`;

/** A fresh, empty NATS messaging engine (own stream names), removed again on close. */
export function openTestNatsMessaging(options: EngineOptions): Promise<MessagingEngine> {
  return ownedMessaging(
    `${NATS_URL}${NATS_URL.includes('?') ? '&' : '?'}prefix=test-${randomBytes(6).toString('hex')}`,
    options,
  );
}

/** Why the contract cannot run on a private 3-node cluster here (no nats-server binary), or undefined. */
export const NATS_CLUSTER_UNAVAILABLE: string | undefined = HAVE_NATS_SERVER
  ? undefined
  : 'no nats-server binary to start a 3-node cluster (install nats-server, or set EXODUS_NATS_SERVER)';

let cluster: Promise<PrivateNatsCluster> | undefined;

/**
 * A fresh engine on a private 3-node cluster with every stream and consumer at 3 replicas: the
 * cluster is started on first use and shared by the suite's cases (each has its own prefix).
 */
export async function openTestNatsClusterMessaging(options: EngineOptions): Promise<MessagingEngine> {
  cluster ??= startPrivateNatsCluster(3);
  const { url } = await cluster;
  return ownedMessaging(`${url}?replicas=3&prefix=test-${randomBytes(6).toString('hex')}`, options);
}

/** Stops the shared cluster, if one was started. */
export async function stopTestNatsCluster(): Promise<void> {
  const started = cluster;
  cluster = undefined;
  await (await started)?.destroy();
}
