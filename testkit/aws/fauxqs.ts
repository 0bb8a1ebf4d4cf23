import { startFauxqs, type FauxqsServer } from 'fauxqs';

/**
 * fauxqs, the SQS + SNS emulator, in this process on a free port of 127.0.0.1. One per test process,
 * started at first use; each engine opened on it takes its own name prefix, so tests never share a
 * queue. It keeps everything in memory: a test that must survive a crash runs it in a process of
 * its own (see `npm run aws:local`).
 */
let server: Promise<FauxqsServer> | undefined;

export async function fauxqsEndpoint(): Promise<string> {
  server ??= startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  return `http://127.0.0.1:${(await server).port}`;
}

export async function stopFauxqs(): Promise<void> {
  const running = server;
  server = undefined;
  await (await running)?.stop();
}
