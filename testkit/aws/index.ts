/** The test kit's AWS part: the emulators the AWS engines are tested on, and Lambda events made from real SQS messages. */
export { JAVA_UNAVAILABLE, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
export { fauxqsEndpoint, stopFauxqs } from './fauxqs.js';
export { invokeOnQueue } from './lambda-events.js';
