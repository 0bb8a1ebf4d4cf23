/**
 * One lane per key (an evacuee): work on a key runs after the earlier work on that key in this
 * process has settled, work on different keys runs concurrently. Writers of one evacuee in one
 * process then never race each other to a conditional write only one of them can win; racing
 * processes (replicas) are still settled by the conditions and a retry.
 */
export class Lanes {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    // The last one out removes the lane, so the map holds only keys with work in flight.
    void tail.then(() => this.tails.get(key) === tail && this.tails.delete(key));
    return result;
  }
}
