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
