import { WorkerPool } from '../workers/pool.ts';

let pool: WorkerPool | undefined;

/** One pool for the page, started on first use. */
export const sharedPool = (): WorkerPool => {
  pool ??= new WorkerPool();
  return pool;
};
