/**
 * Gathers the calls made during one turn of the event loop and runs them together at its end
 * (`setImmediate`), so concurrent callers share one statement, one round trip, one socket write.
 * A consumer's batch is handled concurrently, so its messages' writes land in the same turn; so do
 * the requests a busy front door parses in one go. `runAll` answers each item, in order, with a
 * value or a promise of its own. If it throws, every item fails with that error, unless `isolate`
 * says the error may be one item's fault (bad data, not an outage): then each item runs again alone,
 * so one bad write fails alone, as it would have without the batch.
 */
export class TurnBatch<In, Out> {
  private pending: { readonly item: In; resolve(out: Out | PromiseLike<Out>): void; reject(error: unknown): void }[] =
    [];

  constructor(
    private readonly runAll: (
      items: readonly In[],
    ) => ReadonlyArray<Out | PromiseLike<Out>> | Promise<ReadonlyArray<Out | PromiseLike<Out>>>,
    private readonly isolate: (error: unknown) => boolean = () => false,
  ) {}

  add(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    await this.run(batch);
  }

  private async run(batch: typeof this.pending): Promise<void> {
    try {
      // Called synchronously, before any await: whatever it sends leaves in this turn.
      const answers = await this.runAll(batch.map((call) => call.item));
      batch.forEach((call, i) => call.resolve(answers[i] as Out | PromiseLike<Out>));
    } catch (error) {
      if (batch.length > 1 && this.isolate(error)) await Promise.all(batch.map((call) => this.run([call])));
      else for (const call of batch) call.reject(error);
    }
  }
}
