/**
 * Rate limits and daily upload quotas, keyed by client (an IPv4 address or an IPv6 /64) and by
 * upload token. In memory for one process, or in Redis (REDIS_URL) for several.
 *
 * When Redis cannot answer, the rate limit fails OPEN and quotas fail CLOSED but retryably
 * (503 QuotaUnavailable with Retry-After, which clients retry): see README "Rate limits and quotas".
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { isIPv4, isIPv6 } from 'node:net';
import rateLimit from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { formatBytes } from '../src/ui/messages.ts';
import { bearerToken } from './access.ts';
import type { LimitSettings } from './config.ts';
import { ApiError } from './errors.ts';
import { type Counter, memoryQuota, type QuotaStore, redisQuota } from './quota.ts';

export interface Limits {
  /**
   * Adds one upload to the day's counters of its client and (when it has one) its bearer token,
   * or throws: 429 QuotaExceeded with Retry-After (when the counter that refused resets), 413
   * when the upload alone is over the quota, 503 QuotaUnavailable when Redis cannot answer.
   * A refused upload is not counted.
   */
  chargeUpload(request: FastifyRequest, amount: { bytes: number; files: number }, alsoCharge?: string | null): Promise<void>;
}

/**
 * The quota key of an access token. Only a digest of the token is kept (in Redis, and in a file
 * request's record, whose uploads `alsoCharge` it): the token itself stays secret.
 */
export const tokenQuotaKey = (token: string): string => `token:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;

/** A Redis command waits at most this long: no request hangs on a Redis that does not answer. */
const COMMAND_TIMEOUT_MS = 1000;
/** How long a quota check keeps trying through a Redis restart before answering 503. */
const QUOTA_WAIT_MS = 4000;
/** The Retry-After of that 503; the client's backoff retries within ~30 s anyway. */
const QUOTA_UNAVAILABLE_RETRY_SECONDS = 5;

/** The rate-limit and quota key of a client address: IPv4 as is, IPv6 as its /64. */
export function clientKey(ip: string): string {
  // A zone id (fe80::1%eth0) names the interface, not the client.
  const address = ip.split('%')[0].toLowerCase();
  if (isIPv4(address)) return address;
  // Not an address at all (a socket already closed has none): its own key, as Fastify gave it.
  if (!isIPv6(address)) return address;
  const groups = ipv6Groups(address);
  // An IPv4 client of a dual-stack socket: ::ffff:a.b.c.d
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 255, groups[7] >> 8, groups[7] & 255].join('.');
  }
  // One household or one VPS gets a whole /64: keying single addresses would give it 2^64 budgets.
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** A request's client key; a socket closed early has no address, and such requests share one key. */
const requestClient = (request: FastifyRequest) => clientKey(request.ip ?? 'unknown');

/** The eight 16-bit groups of a valid IPv6 address (compressed, or ending in a dotted quad). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number);
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  if (tail === undefined) return parse(head);
  const front = parse(head);
  const back = parse(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/**
 * Registers the rate limit (every request, 404s included) and returns the quota counter.
 * Call it where the plugin was registered: before the routes and the not-found handler.
 */
export async function registerLimits(app: FastifyInstance, settings: LimitSettings): Promise<Limits> {
  const redis = settings.redisUrl ? await connectRedis(settings.redisUrl, app.log) : null;
  if (redis) app.addHook('onClose', async () => void redis.disconnect());

  await app.register(rateLimit, {
    // One app-level hook below instead of the plugin's per-route hooks: Fastify runs app-level
    // hooks for the not-found handler too, so probing for ids or paths costs budget as well.
    global: false,
    max: settings.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: requestClient,
    redis,
    nameSpace: 'cipherdrop:rate:',
    // Fail open: the limit throttles abuse, and an upload in flight (its part-URL calls are
    // limited too) must not fail because Redis restarts.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      Object.assign(new ApiError('RateLimited', `Too many requests: at most ${context.max} a minute`, Math.max(1, Math.ceil(context.ttl / 1000))), {
        statusCode: 429,
      }),
  });
  app.addHook('onRequest', app.rateLimit());

  const unavailable = () => new ApiError('QuotaUnavailable', 'The quota store is not answering', QUOTA_UNAVAILABLE_RETRY_SECONDS);
  const store: QuotaStore = redis ? redisQuota(redis, QUOTA_WAIT_MS, unavailable) : memoryQuota();
  return { chargeUpload: (request, amount, alsoCharge) => chargeUpload(store, settings, request, amount, alsoCharge ?? null) };
}

async function chargeUpload(
  store: QuotaStore,
  settings: LimitSettings,
  request: FastifyRequest,
  amount: { bytes: number; files: number },
  alsoCharge: string | null,
) {
  const { quotaBytesPerDay, quotaFilesPerDay } = settings;
  // Waiting would never help this one.
  if (amount.bytes > quotaBytesPerDay || amount.files > quotaFilesPerDay) {
    throw new ApiError('PayloadTooLarge', `This upload is larger than the daily quota of ${formatBytes(quotaBytesPerDay)}`);
  }
  const subjects = [{ key: `client:${requestClient(request)}`, who: 'from your network' }];
  const token = bearerToken(request.headers.authorization);
  const own = token ? tokenQuotaKey(token) : null;
  if (own) subjects.unshift({ key: own, who: 'with this access token' });
  // A file request's sender spends its creator's quota as well: a request is no way around it.
  if (alsoCharge && alsoCharge !== own) subjects.unshift({ key: alsoCharge, who: "with this request's access token" });
  const counters: (Counter & { what: string })[] = subjects.flatMap(({ key, who }) => [
    { key: `${key}:bytes`, amount: amount.bytes, limit: quotaBytesPerDay, what: `${formatBytes(quotaBytesPerDay)} a day ${who}` },
    { key: `${key}:files`, amount: amount.files, limit: quotaFilesPerDay, what: `${quotaFilesPerDay} files a day ${who}` },
  ]);
  const result = await store.charge(counters);
  if (result.refused !== null) {
    const retryAfter = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    throw new ApiError('QuotaExceeded', `Upload quota reached: at most ${counters[result.refused].what}`, retryAfter);
  }
}

/**
 * A client that never queues a command: while Redis is unreachable every command fails at once
 * (the rate limit then lets the request through; a quota check tries again), and each command
 * on a live connection is bounded by COMMAND_TIMEOUT_MS. It reconnects forever, at most 1 s apart.
 */
async function connectRedis(url: string, log: FastifyBaseLogger): Promise<Redis> {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    // A command lost with its connection is failed, never replayed later behind the caller's back
    // (a replayed quota charge would count an upload that was already answered 503).
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
  // An unhandled 'error' would only be printed, but one line per outage is the useful amount.
  let healthy = true;
  redis.on('error', (error: Error) => {
    if (healthy) log.warn({ err: error }, 'Redis unreachable: rate limits off, quota checks answer 503 until it is back');
    healthy = false;
  });
  redis.on('ready', () => {
    if (!healthy) log.warn('Redis reachable again');
    healthy = true;
  });
  // Give the first connection a moment, so the first requests are counted; start without it if not.
  const timeout = AbortSignal.timeout(3000);
  await once(redis, 'ready', { signal: timeout }).catch(() => log.warn('Redis not ready at start; going on without it until it is'));
  return redis;
}
