import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import type { StorageEngine } from '../../src/ports/index.js';
import { JAVA_UNAVAILABLE, startDynamoDbLocal, type DynamoDbLocal } from '../../testkit/aws/index.js';
import { ownedStorage } from './owned.js';

/** Why the DynamoDB contract cannot run here (no java for DynamoDB Local), or undefined when it can. */
export const DYNAMODB_UNAVAILABLE = JAVA_UNAVAILABLE;

/** One DynamoDB Local per test file, started at its first open (~8 s) and stopped when the file is done. */
let local: Promise<DynamoDbLocal> | undefined;

afterAll(async () => {
  const running = local;
  local = undefined;
  await (await running)?.stop();
});

/** The URL of a table no other test uses, on this file's DynamoDB Local (started if need be); opening creates it. */
export async function testDynamoUrl(): Promise<string> {
  local ??= startDynamoDbLocal();
  const { endpoint } = await local;
  return `dynamodb://us-east-1/exodus_test_${process.pid}_${randomBytes(4).toString('hex')}?endpoint=${endpoint}`;
}

/** A fresh, empty DynamoDB storage engine (its own table), deleted again on close. */
export async function openTestDynamoStorage(): Promise<StorageEngine> {
  return ownedStorage(await testDynamoUrl());
}
