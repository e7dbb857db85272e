/**
 * Deletes expired files. Expiry lives with the objects, so any process may sweep, at start and
 * periodically; until a file is swept the API already answers 410 for it.
 */
import type { Storage } from './storage.ts';

export const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

export async function sweepExpired(storage: Storage, now = Date.now()): Promise<string[]> {
  const deleted: string[] = [];
  for await (const id of storage.listIds()) {
    const [meta, data] = await Promise.all([storage.stat(id, 'meta'), storage.stat(id, 'data')]);
    const expiresAt = meta?.expiresAt ?? data?.expiresAt ?? null;
    if (expiresAt !== null && expiresAt <= now) {
      await Promise.all([storage.remove(id, 'data'), storage.remove(id, 'meta')]);
      deleted.push(id);
    }
  }
  return deleted;
}

/** Sweeps now and every `interval` ms; returns a stop function. Failures are logged, never thrown. */
export function startSweeper(storage: Storage, log: (line: string) => void, interval = SWEEP_INTERVAL_MS): () => void {
  const run = () =>
    sweepExpired(storage).then(
      (ids) => ids.length && log(`sweeper: deleted ${ids.length} expired file(s)`),
      (error: unknown) => log(`sweeper: ${(error as Error).message}`),
    );
  void run();
  const timer = setInterval(run, interval);
  timer.unref();
  return () => clearInterval(timer);
}
