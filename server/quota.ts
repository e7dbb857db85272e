/**
 * Day counters for the upload quotas: in memory for one process, or in Redis shared by every
 * process. A charge adds to all its counters or to none: a refused upload costs nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** One counter of one charge: add `amount` unless the counter would go over `limit`. */
export interface Counter {
  key: string;
  amount: number;
  limit: number;
}

/** `refused`: the index of the first counter that would have gone over, and when it resets. */
export type ChargeResult = { refused: null } | { refused: number; retryAfterMs: number };

export interface QuotaStore {
  charge(counters: Counter[]): Promise<ChargeResult>;
}

/** A counter's window starts at its first charge and lasts a day (like the rate limit's minute). */
export const QUOTA_WINDOW_MS = 24 * 3600 * 1000;

export function memoryQuota(now: () => number = Date.now): QuotaStore {
  const counters = new Map<string, { value: number; resetAt: number }>();
  let nextSweep = now() + QUOTA_WINDOW_MS;
  return {
    async charge(wanted) {
      const time = now();
      // Expired counters are dropped once a day, so memory holds one day's clients at most.
      if (time >= nextSweep) {
        for (const [key, entry] of counters) if (entry.resetAt <= time) counters.delete(key);
        nextSweep = time + QUOTA_WINDOW_MS;
      }
      const live = wanted.map(({ key }) => {
        const entry = counters.get(key);
        return entry && entry.resetAt > time ? entry : { value: 0, resetAt: time + QUOTA_WINDOW_MS };
      });
      const refused = wanted.findIndex((counter, i) => live[i].value + counter.amount > counter.limit);
      if (refused >= 0) return { refused, retryAfterMs: live[refused].resetAt - time };
      wanted.forEach((counter, i) => {
        live[i].value += counter.amount;
        counters.set(counter.key, live[i]);
      });
      return { refused: null };
    },
  };
}

/**
 * Check and add in one script, so processes sharing the Redis never both pass the last slot.
 * KEYS[1] marks the charge as done (so a retry after a lost reply does not add twice); KEYS[2..]
 * are the counters. ARGV: window ms, then amount and limit per counter. Returns {0, 0} when
 * charged (or charged before), else {index of the refusing counter (1-based), its PTTL}.
 */
const CHARGE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, 0} end
for i = 2, #KEYS do
  local current = tonumber(redis.call('GET', KEYS[i]) or '0')
  if current + tonumber(ARGV[2 * i - 2]) > tonumber(ARGV[2 * i - 1]) then
    return {i - 1, redis.call('PTTL', KEYS[i])}
  end
end
for i = 2, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[2 * i - 2])
  if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return {0, 0}
`;

const PREFIX = 'cipherdrop:quota:';
/** While Redis reconnects (every 100 ms to 1 s), a charge asks again this often. */
const RETRY_MS = 200;

/**
 * Quotas in Redis. Fails closed but retryably: while Redis cannot answer, the charge is tried
 * again until `waitMs` has passed, then `unavailable()` is thrown (the caller's 503 with
 * Retry-After). Never counts a charge twice: each carries an id the script remembers.
 */
export function redisQuota(redis: Redis, waitMs: number, unavailable: () => Error): QuotaStore {
  return {
    async charge(counters) {
      const id = `${PREFIX}charge:${randomUUID()}`;
      const keys = [id, ...counters.map((c) => PREFIX + c.key)];
      const args = [QUOTA_WINDOW_MS, ...counters.flatMap((c) => [c.amount, c.limit])];
      const deadline = Date.now() + waitMs;
      for (;;) {
        try {
          const [refused, ttl] = (await redis.eval(CHARGE_SCRIPT, keys.length, ...keys, ...args)) as [number, number];
          return refused === 0 ? { refused: null } : { refused: refused - 1, retryAfterMs: ttl };
        } catch (error) {
          // A script error is a bug, not an outage: no point retrying it.
          if (error instanceof Error && error.name === 'ReplyError' && !/LOADING|BUSY|MASTERDOWN|TRYAGAIN/.test(error.message)) throw error;
          if (Date.now() + RETRY_MS >= deadline) throw unavailable();
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        }
      }
    },
  };
}
