import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FaultProxy, type Endpoint, type NetworkFault } from './tcp-proxy.js';

/**
 * A fault proxy as a process of its own (`exodus chaos proxy`), found and driven by the other chaos
 * commands through a file in the data dir: `<data>/chaos-proxies/<name>.json` gives its addresses
 * and a control port with a token. A fault set through it ends by itself after its duration, so a
 * chaos command that dies mid-fault cannot leave the network broken.
 */
export interface ProxyRecord {
  readonly name: string;
  readonly listen: Endpoint;
  readonly upstream: Endpoint;
  readonly control: { readonly port: number; readonly token: string };
  readonly pid: number;
}

const recordFile = (dataDir: string, name: string): string => join(dataDir, 'chaos-proxies', `${name}.json`);

/** Starts the proxy and its control port, writes its record; `close()` stops both and removes the record. */
export async function runFaultProxy(options: {
  dataDir: string;
  name: string;
  listen: Endpoint;
  upstream: Endpoint;
  onFault: (fault: NetworkFault | undefined) => void;
}): Promise<{ record: ProxyRecord; close(): Promise<void> }> {
  const proxy = new FaultProxy(options.upstream);
  const listen = await proxy.listen(options.listen);
  const token = randomBytes(16).toString('hex');
  let clearTimer: NodeJS.Timeout | undefined;
  const set = (fault: NetworkFault | undefined, forMs?: number): void => {
    clearTimeout(clearTimer);
    proxy.set(fault);
    options.onFault(fault);
    if (fault !== undefined && forMs !== undefined) clearTimer = setTimeout(() => set(undefined), forMs);
  };
  const control: Server = createServer((request, response) => {
    if (request.headers.authorization !== `Bearer ${token}`) {
      response.writeHead(401).end();
      return;
    }
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      try {
        if (request.method === 'POST' && request.url === '/fault') {
          const { fault, forMs } = JSON.parse(body) as { fault: NetworkFault; forMs: number };
          set(fault, forMs);
        } else if (request.method === 'DELETE' && request.url === '/fault') set(undefined);
        else if (!(request.method === 'GET' && request.url === '/fault')) {
          response.writeHead(404).end();
          return;
        }
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ fault: proxy.current() ?? null }));
      } catch (error) {
        response.writeHead(400).end(String(error));
      }
    });
  });
  await new Promise<void>((done) => control.listen(0, '127.0.0.1', () => done()));
  const record: ProxyRecord = {
    name: options.name,
    listen,
    upstream: options.upstream,
    control: { port: (control.address() as AddressInfo).port, token },
    pid: process.pid,
  };
  mkdirSync(join(options.dataDir, 'chaos-proxies'), { recursive: true });
  writeFileSync(recordFile(options.dataDir, options.name), JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
  return {
    record,
    close: async () => {
      clearTimeout(clearTimer);
      rmSync(recordFile(options.dataDir, options.name), { force: true });
      await new Promise<void>((done) => control.close(() => done()));
      await proxy.close();
    },
  };
}

/** The running proxy of that name, or an error saying how to start one. */
export function findProxy(dataDir: string, name: string): ProxyRecord {
  try {
    return JSON.parse(readFileSync(recordFile(dataDir, name), 'utf8')) as ProxyRecord;
  } catch {
    throw new Error(
      `no fault proxy "${name}" runs for ${dataDir}: start one with exodus chaos proxy --name ${name} --listen HOST:PORT --to HOST:PORT --data ${dataDir}, and point the system's ${name} URL at its listen address`,
    );
  }
}

/** Sets a fault on a running proxy for `forMs` (it ends there by itself too), or clears it (undefined). */
export async function setProxyFault(proxy: ProxyRecord, fault: NetworkFault | undefined, forMs = 0): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${proxy.control.port}/fault`, {
    method: fault === undefined ? 'DELETE' : 'POST',
    headers: { authorization: `Bearer ${proxy.control.token}`, 'content-type': 'application/json' },
    ...(fault === undefined ? {} : { body: JSON.stringify({ fault, forMs }) }),
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`the fault proxy ${proxy.name} answered ${response.status}`);
}

/** `host:port` → an endpoint, or undefined. */
export function parseEndpoint(text: string): Endpoint | undefined {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (match === null || port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? '').replace(/^\[|\]$/g, ''), port };
}
