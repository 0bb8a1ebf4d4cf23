import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  TransactionCanceledException,
  TransactionConflictException,
  TransactWriteItemsCommand,
  type AttributeValue,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, TransientError, type Destination } from '../../../src/domain/index.js';
import { versionOf } from '../../../src/engines/dynamodb/items.js';
import { openStorage } from '../../../src/engines/index.js';
import type { StorageEngine } from '../../../src/ports/index.js';
import { parsedWish } from '../../contract/fixtures.js';

// What DynamoDB Local cannot show: throttling, conflicts, partial batches, and a writer that moves
// an item between our read and our conditional write (another replica).
const dynamo = mockClient(DynamoDBClient);
afterEach(() => void dynamo.reset());

const TABLE = 'exodus';
/** On "AWS" (no endpoint): opening sends nothing, so every call a test sees is one it provoked. */
const open = (): Promise<StorageEngine> => openStorage(`dynamodb://eu-west-1/${TABLE}`);

const metadata = { $metadata: {} };
const cancelled = (...codes: string[]): TransactionCanceledException =>
  new TransactionCanceledException({
    message: `Transaction cancelled [${codes.join(', ')}]`,
    ...metadata,
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
/** A service error the client has no class for, by its name (as the SDK raises one). */
const named = (name: string): Error =>
  Object.assign(new Error(`${name} (mocked)`), { name, $fault: 'client', ...metadata });

const AT = '2045-01-01T00:00:00.000Z';
const wishAt = (evacueeId: string, seconds: number, destination: Destination = 'mars') =>
  parsedWish(
    { evacueeId, id: `01900000-0000-7000-8000-${String(seconds).padStart(12, '0')}`, destination },
    Date.parse(AT) + seconds * 1000,
  );

/** An evacuee's CURRENT or WALL item, as a consistent read returns it. */
function versionItem(
  sk: 'CURRENT' | 'WALL',
  wish: { id: string; evacueeId: string; submittedAt: string; destination: Destination },
): Record<string, AttributeValue> {
  return {
    pk: { S: `EVACUEE#${wish.evacueeId}` },
    sk: { S: sk },
    ...(sk === 'CURRENT' ? { wishId: { S: wish.id } } : {}),
    version: { S: `${wish.submittedAt}#${wish.id}` },
    destination: { S: wish.destination },
  };
}
const found = (...items: Record<string, AttributeValue>[]) => ({ Responses: { [TABLE]: items } });

const transactions = (): TransactWriteItem[][] =>
  dynamo.commandCalls(TransactWriteItemsCommand).map((call) => call.args[0].input.TransactItems ?? []);

describe('DynamoDB engine: SDK errors keep their retry meaning', () => {
  it.each([
    ['ThrottlingException', named('ThrottlingException'), 'dynamodb_throttled'],
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'over', ...metadata }),
      'dynamodb_throttled',
    ],
    ['RequestLimitExceeded', named('RequestLimitExceeded'), 'dynamodb_throttled'],
    [
      'TransactionConflictException',
      new TransactionConflictException({ message: 'conflict', ...metadata }),
      'dynamodb_throttled',
    ],
    ['a transaction cancelled for throttling only', cancelled('None', 'ThrottlingError'), 'dynamodb_throttled'],
    ['InternalServerError', new InternalServerError({ message: 'oops', ...metadata }), 'dynamodb_unavailable'],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' }),
      'dynamodb_unavailable',
    ],
    ['a timeout', named('TimeoutError'), 'dynamodb_unavailable'],
  ])('%s is a TransientError (%s)', async (_, error, code) => {
    dynamo.on(GetItemCommand).rejects(error);
    const { store } = await open();
    await expect(store.get('w1')).rejects.toMatchObject({ name: 'TransientError', code, cause: error });
  });

  it('data the service refuses is a PermanentError; anything else (a missing table) stays a plain error', async () => {
    const { store } = await open();
    dynamo.on(GetItemCommand).rejects(named('ValidationException'));
    await expect(store.get('w1')).rejects.toSatisfy(
      (error) => error instanceof PermanentError && error.code === 'dynamodb_bad_data',
    );
    const missing = named('ResourceNotFoundException');
    dynamo.on(GetItemCommand).rejects(missing);
    await expect(store.get('w1')).rejects.toBe(missing);
  });

  it('a put whose transaction is cancelled for throttling fails as a TransientError, to be retried by its consumer', async () => {
    dynamo.on(BatchGetItemCommand).resolves(found());
    dynamo.on(TransactWriteItemsCommand).rejects(cancelled('ThrottlingError', 'None'));
    const { store } = await open();
    await expect(store.put(wishAt('EV-00001', 1))).rejects.toSatisfy(
      (error) => error instanceof TransientError && error.code === 'dynamodb_throttled',
    );
  });
});

describe('DynamoDB store: conditional writes against other writers', () => {
  it('a transaction cancelled on the wish record (the id is there) answers duplicate and writes nothing else', async () => {
    dynamo.on(BatchGetItemCommand).resolves(found());
    dynamo.on(TransactWriteItemsCommand).rejects(cancelled('ConditionalCheckFailed', 'ConditionalCheckFailed'));
    const { store } = await open();
    expect(await store.put(wishAt('EV-00001', 1))).toBe('duplicate');
    expect(transactions()).toHaveLength(1);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('a transaction cancelled on CURRENT (another writer moved it) re-reads it and writes again against what it found', async () => {
    const mine = wishAt('EV-00001', 5, 'mars');
    const theirs = wishAt('EV-00001', 3, 'europa');
    dynamo
      .on(BatchGetItemCommand)
      .resolvesOnce(found())
      .resolves(found(versionItem('CURRENT', theirs)));
    dynamo.on(TransactWriteItemsCommand).rejectsOnce(cancelled('None', 'ConditionalCheckFailed')).resolves({});
    const { store } = await open();
    expect(await store.put(mine)).toBe('stored');
    expect(dynamo.commandCalls(BatchGetItemCommand)).toHaveLength(2);
    const [first, second] = transactions();
    expect(first?.[1]?.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(second?.[1]?.Put).toMatchObject({
      ConditionExpression: '#version = :read',
      ExpressionAttributeValues: { ':read': { S: `${theirs.submittedAt}#${theirs.id}` } },
    });
    // The wish it replaced is marked superseded in the same transaction.
    expect(second?.[2]?.Update).toMatchObject({
      Key: { pk: { S: `WISH#${theirs.id}` } },
      ExpressionAttributeValues: { ':superseded': { S: 'superseded' } },
    });
  });

  it('when the re-read shows a newer wish, the put is recorded superseded, never made current', async () => {
    const mine = wishAt('EV-00001', 5);
    const newer = wishAt('EV-00001', 9);
    dynamo
      .on(BatchGetItemCommand)
      .resolvesOnce(found())
      .resolves(found(versionItem('CURRENT', newer)));
    dynamo.on(TransactWriteItemsCommand).rejects(cancelled('None', 'ConditionalCheckFailed'));
    dynamo.on(PutItemCommand).resolves({});
    const { store } = await open();
    expect(await store.put(mine)).toBe('superseded');
    expect(transactions()).toHaveLength(1);
    const [record] = dynamo.commandCalls(PutItemCommand);
    expect(record?.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: { S: `WISH#${mine.id}` }, status: { S: 'superseded' } },
    });
  });

  it('a transaction conflict is waited out and tried again', async () => {
    dynamo.on(BatchGetItemCommand).resolves(found());
    dynamo.on(TransactWriteItemsCommand).rejectsOnce(cancelled('TransactionConflict', 'None')).resolves({});
    const { store } = await open();
    expect(await store.put(wishAt('EV-00001', 1))).toBe('stored');
    expect(transactions()).toHaveLength(2);
  });

  it('the consistent reads of one turn go in one BatchGetItem; keys it leaves unprocessed are asked for again, alone', async () => {
    const a = wishAt('EV-00001', 1);
    const b = wishAt('EV-00002', 1);
    const c = wishAt('EV-00003', 1);
    const cKey = { pk: { S: 'EVACUEE#EV-00003' }, sk: { S: 'CURRENT' } };
    dynamo
      .on(BatchGetItemCommand)
      .resolvesOnce({ ...found(), UnprocessedKeys: { [TABLE]: { Keys: [cKey] } } })
      .resolves(found());
    dynamo.on(TransactWriteItemsCommand).resolves({});
    dynamo.on(PutItemCommand).resolves({});
    const { store, readModel } = await open();
    expect(await Promise.all([store.put(a), store.put(b), store.put(c), readModel.apply(a)])).toEqual([
      'stored',
      'stored',
      'stored',
      true,
    ]);
    const reads = dynamo.commandCalls(BatchGetItemCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]);
    expect(reads.map((read) => read?.Keys?.map((key) => `${key['pk']?.S ?? ''}/${key['sk']?.S ?? ''}`))).toEqual([
      ['EVACUEE#EV-00001/CURRENT', 'EVACUEE#EV-00002/CURRENT', 'EVACUEE#EV-00003/CURRENT', 'EVACUEE#EV-00001/WALL'],
      ['EVACUEE#EV-00003/CURRENT'],
    ]);
    expect(reads.every((read) => read?.ConsistentRead === true)).toBe(true);
  });

  it('registering evacuees writes batches of 25, one item per id, and sends again exactly what was left unprocessed', async () => {
    const evacuees = Array.from({ length: 30 }, (_, i) => ({
      id: `EV-${String(i % 29).padStart(5, '0')}`,
      name: `Name ${i}`,
    }));
    const left = {
      PutRequest: { Item: { pk: { S: 'EVACUEE#EV-00003' }, sk: { S: 'PROFILE' }, name: { S: 'Name 3' } } },
    };
    dynamo
      .on(BatchWriteItemCommand)
      .resolvesOnce({ UnprocessedItems: { [TABLE]: [left] } })
      .resolves({ UnprocessedItems: {} });
    const { store } = await open();
    expect(await store.registerEvacuees(evacuees)).toBe(30);
    const sent = dynamo
      .commandCalls(BatchWriteItemCommand)
      .map((call) => call.args[0].input.RequestItems?.[TABLE] ?? []);
    expect(sent.map((requests) => requests.length).sort((x, y) => x - y)).toEqual([1, 4, 25]);
    expect(sent.find((requests) => requests.length === 1)).toEqual([left]);
    // The later of two registrations of one id wins, as it would one by one.
    const names = sent.flat().map((request) => request.PutRequest?.Item?.['name']?.S);
    expect(names).toContain('Name 29');
    expect(names).not.toContain('Name 0');
  });
});

describe('DynamoDB read model: conditional writes against other appliers', () => {
  it('a transaction cancelled on the wall row re-reads it and moves the counts from what it found, once', async () => {
    const mine = wishAt('EV-00001', 5, 'europa');
    const theirs = wishAt('EV-00001', 3, 'mars');
    dynamo
      .on(BatchGetItemCommand)
      .resolvesOnce(found())
      .resolves(found(versionItem('WALL', theirs)));
    dynamo.on(TransactWriteItemsCommand).rejectsOnce(cancelled('ConditionalCheckFailed', 'None')).resolves({});
    const { readModel } = await open();
    expect(await readModel.apply(mine)).toBe(true);
    const [first, second] = transactions();
    const moves = (items: TransactWriteItem[] | undefined) =>
      (items ?? [])
        .slice(1)
        .map((item) => [item.Update?.Key?.['pk']?.S, item.Update?.ExpressionAttributeValues?.[':delta']?.N]);
    expect(moves(first)).toEqual([['TALLY#europa', '1']]);
    expect(moves(second)).toEqual([
      ['TALLY#europa', '1'],
      ['TALLY#mars', '-1'],
    ]);
  });

  it('a wish no newer than the wall row changes nothing and writes nothing', async () => {
    const shown = wishAt('EV-00001', 5);
    dynamo.on(BatchGetItemCommand).resolves(found(versionItem('WALL', shown)));
    const { readModel } = await open();
    expect(await readModel.apply(wishAt('EV-00001', 4))).toBe(false);
    expect(await readModel.apply(shown)).toBe(false);
    expect(transactions()).toHaveLength(0);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });
});

describe('DynamoDB engine: an error that is not a lost race is not retried as one', () => {
  const refused = (): Error => named('ValidationException');

  it('a put whose transaction is refused fails at once as permanent, after one try', async () => {
    dynamo.on(BatchGetItemCommand).resolves(found());
    dynamo.on(TransactWriteItemsCommand).rejects(refused());
    const { store } = await open();
    await expect(store.put(wishAt('EV-00001', 5))).rejects.toMatchObject({
      name: 'PermanentError',
      code: 'dynamodb_bad_data',
    });
    expect(transactions()).toHaveLength(1);
  });

  it('an older wish whose record is refused fails as permanent, never answered duplicate', async () => {
    dynamo.on(BatchGetItemCommand).resolves(found(versionItem('CURRENT', wishAt('EV-00001', 9))));
    dynamo.on(PutItemCommand).rejects(refused());
    const { store } = await open();
    await expect(store.put(wishAt('EV-00001', 5))).rejects.toMatchObject({
      name: 'PermanentError',
      code: 'dynamodb_bad_data',
    });
  });

  it('an older wish whose record is throttled fails as transient; one caught in a transaction conflict is tried again and recorded superseded', async () => {
    dynamo.on(BatchGetItemCommand).resolves(found(versionItem('CURRENT', wishAt('EV-00001', 9))));
    dynamo
      .on(PutItemCommand)
      .rejectsOnce(named('ThrottlingException'))
      .rejectsOnce(new TransactionConflictException({ message: 'conflict', ...metadata }))
      .resolves({});
    const { store } = await open();
    await expect(store.put(wishAt('EV-00001', 6))).rejects.toMatchObject({
      name: 'TransientError',
      code: 'dynamodb_throttled',
    });
    expect(await store.put(wishAt('EV-00001', 6))).toBe('superseded');
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(3);
  });

  it('a rejection that cannot be written fails; one written before is a no-op', async () => {
    dynamo
      .on(PutItemCommand)
      .rejectsOnce(named('ServiceUnavailable'))
      .rejectsOnce(named('ConditionalCheckFailedException'));
    const { store } = await open();
    await expect(
      store.reject({ id: 'w1', evacueeId: 'EV-00001', submittedAt: AT, reason: 'message: empty' }),
    ).rejects.toBeInstanceOf(TransientError);
    await expect(
      store.reject({ id: 'w1', evacueeId: 'EV-00001', submittedAt: AT, reason: 'message: empty' }),
    ).resolves.toBeUndefined();
  });

  it('an apply whose write is refused fails at once as permanent, after one try', async () => {
    dynamo.on(BatchGetItemCommand).resolves(found());
    dynamo.on(TransactWriteItemsCommand).rejects(refused());
    const { readModel } = await open();
    await expect(readModel.apply(wishAt('EV-00001', 5))).rejects.toMatchObject({
      name: 'PermanentError',
      code: 'dynamodb_bad_data',
    });
    expect(transactions()).toHaveLength(1);
  });

  it('a time outside the years 0000–9999 is refused as bad input, naming the field', () => {
    expect(() => versionOf({ id: 'w1', submittedAt: '+010000-01-01T00:00:00.000Z' })).toThrow(
      expect.objectContaining({
        problems: [{ field: 'submittedAt', reason: 'is outside the years 0000–9999' }],
      }) as Error,
    );
    expect(() => versionOf({ id: 'w1', submittedAt: '+010000-01-01T00:00:00.000Z' }, 'cursor')).toThrow(/cursor/);
  });
});
