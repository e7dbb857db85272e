/**
 * Runs `task(i)` for i in [0, count) with at most `limit` in flight, and hands results to
 * `consume` strictly in order. A task starts only while it is fewer than `window` indexes
 * ahead of the next one to consume, so out-of-order results held in memory stay bounded.
 */
export async function orderedPool<T>(
  count: number,
  limit: number,
  task: (index: number) => Promise<T>,
  consume: (result: T, index: number) => Promise<void> | void,
  signal?: AbortSignal,
): Promise<void> {
  const results = new Map<number, T>();
  let nextStart = 0;
  let nextConsume = 0;
  let inFlight = 0;
  let failed: unknown;
  let consuming = false;
  return new Promise<void>((resolve, reject) => {
    const fail = (error: unknown) => {
      if (failed === undefined) {
        failed = error ?? new Error('task failed');
        reject(failed);
      }
    };
    const drain = async () => {
      if (consuming) return;
      consuming = true;
      try {
        while (failed === undefined && results.has(nextConsume)) {
          const result = results.get(nextConsume) as T;
          results.delete(nextConsume);
          await consume(result, nextConsume);
          nextConsume++;
        }
      } catch (error) {
        fail(error);
      } finally {
        consuming = false;
      }
      if (failed !== undefined) return;
      if (nextConsume === count) return resolve();
      pump();
    };
    const pump = () => {
      while (failed === undefined && inFlight < limit && nextStart < count && nextStart < nextConsume + limit) {
        const index = nextStart++;
        inFlight++;
        task(index).then(
          (result) => {
            inFlight--;
            results.set(index, result);
            void drain();
          },
          (error: unknown) => {
            inFlight--;
            fail(error);
          },
        );
      }
    };
    signal?.addEventListener('abort', () => fail(signal.reason), { once: true });
    if (count === 0) return resolve();
    pump();
  });
}

/**
 * A counting semaphore: the queue's global limit on parts in flight (and so in memory), shared by
 * every file. Waiters are served in order; an aborted waiter leaves the line.
 */
export class Limiter {
  private free: number;
  private readonly waiting: { grant(): void; signal?: AbortSignal }[] = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  get inUse(): number {
    return this.size - this.free;
  }

  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.free++;
    };
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const waiter = { grant: () => resolve(release), signal };
      this.waiting.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) {
            this.waiting.splice(at, 1);
            reject(signal.reason);
          }
        },
        { once: true },
      );
    });
  }
}
