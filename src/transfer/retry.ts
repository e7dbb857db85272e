/**
 * The one retry policy for part PUTs and ranged GETs: a pure function of the failure and the
 * attempt number, so every branch is unit-tested.
 */
import { TransferError } from '../errors.ts';

export const MAX_ATTEMPTS = 6;
export const BASE_DELAY_MS = 250;
export const MAX_DELAY_MS = 10_000;
/** S3 codes for a body that arrived other than it was sent (a signed checksum did not match): send again. */
const DAMAGED_IN_TRANSIT = new Set(['BadDigest', 'XAmzContentChecksumMismatch', 'XAmzContentSHA256Mismatch']);

export type RetryDecision =
  /** `resign`: also fetch fresh presigned URLs first (see `presigned` below) */
  | { action: 'retry'; delayMs: number; resign?: true }
  /** the presigned URL expired or was refused: ask the server for a fresh one, then retry */
  | { action: 'resign' }
  /** the device is offline: wait for the `online` event, then retry without counting an attempt */
  | { action: 'waitOnline' }
  | { action: 'fail' };

/** Exponential backoff with full jitter; `random` is injectable for tests. */
export function backoff(attempt: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1)));
}

export interface RetryContext {
  random?: () => number;
  maxAttempts?: number;
  /** navigator.onLine where there is one (a network error while offline is no attempt) */
  online?: boolean;
  /**
   * The request goes to a presigned URL. A store may refuse an expired URL without CORS headers
   * (Ceph RGW does), which the browser can only report as a network error: so a network error
   * there also fetches fresh URLs before the retry. It costs one API call, and only on failures.
   */
  presigned?: boolean;
}

export function retryDecision(error: unknown, attempt: number, context: RetryContext = {}): RetryDecision {
  const { random, maxAttempts = MAX_ATTEMPTS, online = true, presigned = false } = context;
  if (!(error instanceof TransferError)) return { action: 'fail' };
  if (error.code === 'Network' && !online) return { action: 'waitOnline' };
  if (attempt >= maxAttempts) return { action: 'fail' };
  switch (error.code) {
    case 'Network':
      return presigned ? { action: 'retry', delayMs: backoff(attempt, random), resign: true } : { action: 'retry', delayMs: backoff(attempt, random) };
    case 'HttpStatus': {
      const status = error.status ?? 0;
      // An expired URL: re-sign at once the first time; a fresh URL can expire again before it is
      // used (short expiry, slow machine), so later 403s re-sign after a backoff, until attempts run out.
      if (status === 403) return attempt === 1 ? { action: 'resign' } : { action: 'retry', delayMs: backoff(attempt, random), resign: true };
      if (status === 408 || status === 429 || status >= 500) return { action: 'retry', delayMs: backoff(attempt, random) };
      if (status === 400 && DAMAGED_IN_TRANSIT.has(error.storeCode ?? '')) return { action: 'retry', delayMs: backoff(attempt, random) };
      return { action: 'fail' };
    }
    case 'Api': {
      // The presign API: rate limited, restarting, or its store briefly unavailable. A day's
      // quota spent is a 429 too, but trying again within seconds cannot help.
      const status = error.status ?? 0;
      if (error.apiCode === 'QuotaExceeded') return { action: 'fail' };
      return status === 429 || status === 502 || status === 503 || status === 504 ? { action: 'retry', delayMs: backoff(attempt, random) } : { action: 'fail' };
    }
    default:
      return { action: 'fail' };
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new TransferError('Aborted', 'Cancelled'));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new TransferError('Aborted', 'Cancelled'));
      },
      { once: true },
    );
  });
}

/** Resolves at the next `online` event (at once if already online); rejects on abort. */
export function waitForOnline(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new TransferError('Aborted', 'Cancelled'));
    if (isOnline()) return resolve();
    const done = () => {
      globalThis.removeEventListener('online', done);
      signal?.removeEventListener('abort', aborted);
      resolve();
    };
    const aborted = () => {
      globalThis.removeEventListener('online', done);
      reject(new TransferError('Aborted', 'Cancelled'));
    };
    globalThis.addEventListener('online', done);
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/** Node (the CLI) has no navigator.onLine: it is taken as online, and network errors back off. */
const isOnline = (): boolean => (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine ?? true;

/**
 * Runs `attempt(url)` under the policy. `resign` fetches a fresh URL (expired presigned URLs
 * answer 403). Gives up with the last error.
 */
export async function withRetries<T>(
  run: (attempt: number) => Promise<T>,
  resign: () => Promise<void>,
  signal?: AbortSignal,
  { maxAttempts = MAX_ATTEMPTS, presigned = false }: Pick<RetryContext, 'maxAttempts' | 'presigned'> = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (error) {
      if (signal?.aborted) throw new TransferError('Aborted', 'Cancelled');
      const decision = retryDecision(error, attempt, { maxAttempts, online: isOnline(), presigned });
      if (decision.action === 'fail') throw error;
      if (decision.action === 'resign') await resign();
      else if (decision.action === 'waitOnline') {
        await waitForOnline(signal);
        attempt--;
      } else {
        await sleep(decision.delayMs, signal);
        if (decision.resign) await resign();
      }
    }
  }
}
