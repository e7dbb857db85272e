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
