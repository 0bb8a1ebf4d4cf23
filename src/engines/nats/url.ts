import { PermanentError } from '../../domain/index.js';

/** What a `nats://host:port[,host:port…][?prefix=NAME&replicas=N]` URL names. */
export interface NatsUrl {
  /** `host:port` of every seed server; the client learns the rest of a cluster from them. */
  readonly servers: readonly string[];
  /** Namespaces streams, subjects and consumers, so tests and deployments can share one server. */
  readonly prefix: string;
  /**
   * Copies JetStream keeps of every stream and consumer the engine declares (`num_replicas`): 1 on a
   * single server; 3 on a cluster keeps every acked message through the loss of any one node
   * (a publish is acked once a majority stored it). At most 5, JetStream's own limit.
   */
  readonly replicas: number;
}

export const DEFAULT_PREFIX = 'exodus';
const MAX_REPLICAS = 5;

// The prefix becomes part of stream names and subject tokens: only characters both accept.
const PREFIX = /^[A-Za-z0-9_-]{1,48}$/;
const SERVER = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/** Parses the engine URL; a bad one fails fast with one line naming what is wrong. */
export function parseNatsUrl(url: string): NatsUrl {
  const match = /^nats:\/\/([^?]*)(?:\?(.*))?$/i.exec(url.trim());
  if (match === null) throw invalid(url, 'expected nats://host:port[,host:port…][?prefix=NAME&replicas=N]');
  const servers = (match[1] ?? '')
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
  if (servers.length === 0) throw invalid(url, 'no host:port');
  for (const server of servers) if (!SERVER.test(server)) throw invalid(url, `"${server}" is not host:port`);
  const params = new URLSearchParams(match[2] ?? '');
  for (const key of params.keys())
    if (key !== 'prefix' && key !== 'replicas')
      throw invalid(url, `unknown parameter "${key}" (known: prefix, replicas)`);
    else if (params.getAll(key).length > 1) throw invalid(url, `"${key}" given more than once`);
  const prefix = params.get('prefix') ?? DEFAULT_PREFIX;
  if (!PREFIX.test(prefix)) throw invalid(url, `prefix must match ${PREFIX.source}`);
  const replicas = params.get('replicas') ?? '1';
  if (!/^[1-9]$/.test(replicas) || Number(replicas) > MAX_REPLICAS)
    throw invalid(url, `replicas must be a whole number from 1 to ${MAX_REPLICAS}, not "${replicas}"`);
  return { servers, prefix, replicas: Number(replicas) };
}

function invalid(url: string, why: string): PermanentError {
  return new PermanentError('invalid_engine_url', `bad NATS URL "${url}": ${why}`);
}

/** The first seed server as host and port (an IPv6 host without its brackets; NATS's 4222 when no port is given). */
export function firstServer({ servers }: NatsUrl): { host: string; port: number } {
  const [host = '', port] = (servers[0] ?? '').replace(/^\[(.*)\]/, '$1').split(/:(?=\d+$)/);
  return { host, port: Number(port ?? 4222) };
}
