import { describe, expect, it } from 'vitest';
import { messagingBroker } from '../../../src/engines/chaos.js';
import { destroyNamespace, embeddedDir, openMessaging, openStorage } from '../../../src/engines/index.js';
import { ENGINES, findEngine, UnknownEngineError } from '../../../src/engines/registry.js';

describe('the engine registry', () => {
  it('each registered engine offers what its entry says it serves', async () => {
    for (const { schemes, serves, load } of ENGINES) {
      const { engine } = await load();
      expect(engine.openMessaging !== undefined, `${schemes[0]} opens messaging`).toBe(serves.queue !== undefined);
      expect(engine.openStorage !== undefined, `${schemes[0]} opens storage`).toBe(serves.store !== undefined);
    }
  });

  it('finds an engine by scheme in any case, for a role it serves only', async () => {
    expect(await findEngine('NATS://a:4222', 'queue')).toBe(
      (await import('../../../src/engines/nats/index.js')).engine,
    );
    expect(await findEngine('postgresql://h/db', 'store')).toBeDefined();
    expect(await findEngine('nats://a:4222', 'store')).toBeUndefined();
    expect(await findEngine('dynamodb://eu-west-1/t', 'queue')).toBeUndefined();
    expect(await findEngine('redis://h')).toBeUndefined();
  });

  it('a URL no engine serves is refused naming the engines that serve that role', async () => {
    await expect(openMessaging('redis://h:6379', { maxAttempts: 3 })).rejects.toThrow(
      new UnknownEngineError('queue', 'redis://h:6379'),
    );
    await expect(openMessaging('postgres://h/db', { maxAttempts: 3 })).rejects.toThrow(
      'no queue engine for "postgres://h/db" (known: sqlite:<dir>, nats://host:port[,host:port…][?prefix=NAME&replicas=N], sqs://REGION[/NAME][?endpoint=URL])',
    );
    await expect(openStorage('nats://h:4222')).rejects.toThrow(
      'no store engine for "nats://h:4222" (known: sqlite:<dir>, postgres://host:port/db[?schema=NAME], dynamodb://REGION[/TABLE][?endpoint=URL])',
    );
  });

  it('names the embedded data dir, the broker a restart targets, and destroys nothing it does not know', async () => {
    expect(await embeddedDir('sqlite:///tmp/x')).toBe('/tmp/x');
    expect(await embeddedDir('sqlite:/tmp/y')).toBe('/tmp/y');
    expect(await embeddedDir('postgres://h/db')).toBeUndefined();
    expect(await messagingBroker('nats://[::1]:4333,b:4222')).toEqual({ host: '::1', port: 4333 });
    expect(await messagingBroker('nats://broker')).toEqual({ host: 'broker', port: 4222 });
    expect(await messagingBroker('sqlite:/tmp/x')).toBeUndefined();
    await expect(destroyNamespace('redis://h')).resolves.toBeUndefined();
  });
});
