import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { LabNetwork } from '../../lab/hosts.js';
import { reachable } from '../../src/ops/index.js';
import { skipUnless, tempDir, waitFor } from '../../testkit/index.js';

const ROOT = process.getuid?.() === 0;
const HAVE_TOOLS = ['ip', 'iptables'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);
const skip = skipUnless(
  ROOT && HAVE_TOOLS,
  'the lab needs root and iproute2 and iptables (apt-get install iproute2 iptables)',
);

/** A TCP server on `host`'s own address, in its namespace. */
const SERVER =
  "require('node:net').createServer((s) => s.on('error', () => {}).end('hi')).listen(7000, process.argv[1])";
const CLIENT =
  "const s = require('node:net').connect(7000, process.argv[1]); s.on('data', (d) => process.stdout.write(d)); s.on('error', () => {}); setTimeout(() => process.exit(0), 1000).unref(); s.on('close', () => process.exit(0));";

describe.skipIf(skip)('the lab hosts: namespaces on a bridge', () => {
  let network: LabNetwork | undefined;
  afterEach(async () => network?.teardown());

  it('reach each other, are cut off and healed by their own rules, and leave nothing behind', async () => {
    network = LabNetwork.create(
      [
        { name: 'a', octet: 201 },
        { name: 'b', octet: 202 },
      ],
      tempDir('exodus-lab-hosts-'),
    );
    const [a, b] = [network.host('a'), network.host('b')];
    a.start('server', process.execPath, ['-e', SERVER, a.address]);
    await waitFor(() => reachable(a.address, 7000), 10_000, 'the server on a never listened');
    // What b reads from a's server within a second ('' when nothing comes through).
    const fromB = (): string =>
      spawnSync('ip', ['netns', 'exec', b.namespace, process.execPath, '-e', CLIENT, a.address], {
        encoding: 'utf8',
      }).stdout;
    expect(fromB()).toBe('hi');

    a.cutFrom([b]);
    expect(fromB()).toBe('');
    expect(await reachable(a.address, 7000)).toBe(true); // only b was cut off

    a.heal();
    a.cutFromEveryone();
    expect(await reachable(a.address, 7000)).toBe(false);
    a.heal();
    expect(fromB()).toBe('hi');

    const { id } = network;
    await network.teardown();
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(id);
    expect(spawnSync('ip', ['link', 'show', `${id}br`]).status).not.toBe(0);
  });
});
