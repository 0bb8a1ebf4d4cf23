import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { TurnBatch } from '../shared/turn-batch.js';
import { inBatches } from './batches.js';
import { guarded } from './errors.js';

/**
 * Deletes and visibility changes of one queue's messages, gathered per turn of the event loop into
 * batch calls (a consumer settles its whole batch in one turn: ten messages a call instead of one).
 * Each answers whether SQS took it: a receipt handle it refuses (the message was received again, or
 * is gone) is `false`, not an error.
 */
export class Settler {
  private readonly deletes = new TurnBatch<string, boolean>((handles) => this.deleteAll(handles));
  private readonly changes = new TurnBatch<{ readonly handle: string; readonly seconds: number }, boolean>((changes) =>
    this.changeAll(changes),
  );

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly queueName: string,
  ) {}

  delete(receiptHandle: string): Promise<boolean> {
    return this.deletes.add(receiptHandle);
  }

  changeVisibility(receiptHandle: string, seconds: number): Promise<boolean> {
    return this.changes.add({ handle: receiptHandle, seconds });
  }

  private async deleteAll(handles: readonly string[]): Promise<boolean[]> {
    const doing = `delete from ${this.queueName}`;
    const entries = handles.map((handle, i) => ({ Id: String(i), ReceiptHandle: handle }));
    const refused = await inBatches(
      entries,
      (batch) =>
        guarded(doing, () => this.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: batch }))),
      doing,
    );
    return entries.map((entry) => !refused.has(entry.Id));
  }

  private async changeAll(
    changes: readonly { readonly handle: string; readonly seconds: number }[],
  ): Promise<boolean[]> {
    const doing = `change visibility in ${this.queueName}`;
    const entries = changes.map((change, i) => ({
      Id: String(i),
      ReceiptHandle: change.handle,
      VisibilityTimeout: change.seconds,
    }));
    const refused = await inBatches(
      entries,
      (batch) =>
        guarded(doing, () =>
          this.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.queueUrl, Entries: batch })),
        ),
      doing,
    );
    return entries.map((entry) => !refused.has(entry.Id));
  }
}
