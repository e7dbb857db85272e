/**
 * One task at a time per key, in this process: the tasks for a key run in the order they came,
 * tasks for other keys alongside. (Across processes see docs/REQUESTS.md "Limits under concurrency".)
 */
export type KeyedMutex = <T>(key: string, task: () => Promise<T>) => Promise<T>;

export function keyedMutex(): KeyedMutex {
  const tails = new Map<string, Promise<void>>();
  return async (key, task) => {
    const previous = tails.get(key) ?? Promise.resolve();
    let release = () => {};
    const tail = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
    tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      // The last in line leaves nothing behind: the map holds only keys with tasks waiting.
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}
