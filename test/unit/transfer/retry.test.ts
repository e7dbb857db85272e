import { describe, expect, it, vi } from 'vitest';
import { TransferError } from '../../../src/errors.ts';
import { backoff, MAX_ATTEMPTS, MAX_DELAY_MS, retryDecision, waitForOnline, withRetries } from '../../../src/transfer/retry.ts';

const http = (status: number) => new TransferError('HttpStatus', `HTTP ${status}`, status);
const half = () => 0.5;

describe('retryDecision', () => {
  it('retries network errors, 408, 429 and 5xx with growing jittered backoff', () => {
    for (const error of [new TransferError('Network', 'reset'), http(408), http(429), http(500), http(503)]) {
      expect(retryDecision(error, 1, { random: half })).toEqual({ action: 'retry', delayMs: backoff(1, half) });
    }
    expect(backoff(3, half)).toBeGreaterThan(backoff(1, half));
    expect(backoff(30, () => 1)).toBe(MAX_DELAY_MS);
    expect(backoff(2, () => 0)).toBe(0);
  });

  it('with presigned URLs, a network error also fetches fresh URLs (a store may refuse an expired URL without CORS headers)', () => {
    const reset = new TransferError('Network', 'Failed to fetch');
    expect(retryDecision(reset, 1, { random: half, presigned: true })).toEqual({ action: 'retry', delayMs: backoff(1, half), resign: true });
    // API calls have no URL to renew; server errors are not URL problems.
    expect(retryDecision(reset, 1, { random: half })).toEqual({ action: 'retry', delayMs: backoff(1, half) });
    expect(retryDecision(http(503), 1, { random: half, presigned: true })).toEqual({ action: 'retry', delayMs: backoff(1, half) });
  });

  it('re-signs after every 403 (an expired presigned URL; a fresh one may expire again), backing off after the first, until attempts run out', () => {
    expect(retryDecision(http(403), 1)).toEqual({ action: 'resign' });
    expect(retryDecision(http(403), 2, { random: half })).toEqual({ action: 'retry', delayMs: backoff(2, half), resign: true });
    expect(retryDecision(http(403), MAX_ATTEMPTS - 1, { random: half })).toEqual({ action: 'retry', delayMs: backoff(MAX_ATTEMPTS - 1, half), resign: true });
    expect(retryDecision(http(403), MAX_ATTEMPTS)).toEqual({ action: 'fail' });
  });

  it('sends a part again when the store says its bytes arrived damaged (a signed checksum did not match)', () => {
    const s3 = (code: string) => new TransferError('HttpStatus', `HTTP 400 ${code}`, 400, { storeCode: code });
    expect(retryDecision(s3('BadDigest'), 1, { random: half })).toEqual({ action: 'retry', delayMs: backoff(1, half) });
    expect(retryDecision(s3('XAmzContentChecksumMismatch'), 2, { random: half })).toEqual({ action: 'retry', delayMs: backoff(2, half) });
    // A malformed digest or any other 400 is our own mistake: sending again would not help.
    expect(retryDecision(s3('InvalidDigest'), 1)).toEqual({ action: 'fail' });
    expect(retryDecision(s3('InvalidArgument'), 1)).toEqual({ action: 'fail' });
  });

  it('fails other 4xx, format errors, missing ETags and unknown errors at once', () => {
    for (const error of [http(400), http(404), new TransferError('MissingETag', 'cors'), new TransferError('Aborted', 'x'), new Error('bug')]) {
      expect(retryDecision(error, 1)).toEqual({ action: 'fail' });
    }
  });

  it("gives up after MAX_ATTEMPTS, or the caller's own limit", () => {
    expect(retryDecision(http(503), MAX_ATTEMPTS)).toEqual({ action: 'fail' });
    expect(retryDecision(http(503), MAX_ATTEMPTS, { random: half, maxAttempts: 10 })).toEqual({ action: 'retry', delayMs: backoff(MAX_ATTEMPTS, half) });
    expect(retryDecision(http(503), 10, { random: half, maxAttempts: 10 })).toEqual({ action: 'fail' });
  });

  it('retries the presign API only when it is rate limited or unavailable, never on its refusals', () => {
    const api = (status: number, code: string) => new TransferError('Api', code, status, { apiCode: code });
    for (const error of [api(429, 'RateLimited'), api(502, 'Unknown'), api(503, 'StorageUnavailable'), api(503, 'QuotaUnavailable'), api(504, 'Unknown')]) {
      expect(retryDecision(error, 1, { random: half })).toEqual({ action: 'retry', delayMs: backoff(1, half) });
    }
    for (const error of [
      api(400, 'BadRequest'),
      api(401, 'Unauthorized'),
      api(403, 'Forbidden'),
      api(413, 'TooLarge'),
      api(500, 'Internal'),
      api(429, 'QuotaExceeded'),
    ]) {
      expect(retryDecision(error, 1, { random: half })).toEqual({ action: 'fail' });
    }
    expect(retryDecision(new TransferError('NotFound', 'gone', 404), 1)).toEqual({ action: 'fail' });
    expect(retryDecision(new TransferError('Expired', 'gone', 410), 1)).toEqual({ action: 'fail' });
  });
});

/** The page's window, as far as online/offline goes: navigator.onLine and the `online` event. */
function browserNetwork(onLine: boolean) {
  const nav = { onLine };
  const window = new EventTarget();
  vi.stubGlobal('navigator', nav);
  vi.stubGlobal('addEventListener', window.addEventListener.bind(window));
  vi.stubGlobal('removeEventListener', window.removeEventListener.bind(window));
  return {
    goOnline() {
      nav.onLine = true;
      window.dispatchEvent(new Event('online'));
    },
  };
}

describe('offline', () => {
  it('waits for the network instead of spending attempts on a network error while offline', () => {
    const reset = new TransferError('Network', 'reset');
    expect(retryDecision(reset, 1, { random: half, maxAttempts: MAX_ATTEMPTS, online: false })).toEqual({ action: 'waitOnline' });
    // Even past the attempt limit: attempts made while offline say nothing about the store.
    expect(retryDecision(reset, MAX_ATTEMPTS, { random: half, maxAttempts: MAX_ATTEMPTS, online: false })).toEqual({ action: 'waitOnline' });
    // Other failures are decided as when online (a 403 is no network failure).
    expect(retryDecision(http(403), 1, { random: half, maxAttempts: MAX_ATTEMPTS, online: false })).toEqual({ action: 'resign' });
    expect(retryDecision(http(400), 1, { random: half, maxAttempts: MAX_ATTEMPTS, online: false })).toEqual({ action: 'fail' });
  });

  it('withRetries goes on after the online event, without counting the offline attempt', async () => {
    const network = browserNetwork(false);
    try {
      const attempts: number[] = [];
      const result = withRetries(
        async (attempt) => {
          attempts.push(attempt);
          if (attempts.length === 1) throw new TransferError('Network', 'offline');
          return 'sent';
        },
        async () => {},
      );
      await new Promise((r) => setTimeout(r, 20));
      expect(attempts).toEqual([1]);
      network.goOnline();
      expect(await result).toBe('sent');
      expect(attempts).toEqual([1, 1]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('waitForOnline stops waiting when aborted', async () => {
    browserNetwork(false);
    try {
      const controller = new AbortController();
      const waiting = waitForOnline(controller.signal);
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ code: 'Aborted' });
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('withRetries', () => {
  it('re-signs, backs off and returns the first success', async () => {
    const seen: string[] = [];
    const result = await withRetries(
      async (attempt) => {
        seen.push(`try ${attempt}`);
        if (attempt === 1) throw http(403);
        if (attempt === 2) throw new TransferError('Network', 'reset');
        return 'ok';
      },
      async () => {
        seen.push('resign');
      },
    );
    expect(result).toBe('ok');
    expect(seen).toEqual(['try 1', 'resign', 'try 2', 'try 3']);
  });

  it('a re-signed URL that expires again before use is re-signed again (the flaky one-second-expiry e2e)', async () => {
    const seen: string[] = [];
    const result = await withRetries(
      async (attempt) => {
        seen.push(`try ${attempt}`);
        if (attempt <= 2) throw http(403);
        return 'ok';
      },
      async () => {
        seen.push('resign');
      },
    );
    expect([result, seen]).toEqual(['ok', ['try 1', 'resign', 'try 2', 'resign', 'try 3']]);
  });

  it('for presigned requests, renews the URLs after the backoff of a network error', async () => {
    const seen: string[] = [];
    const result = await withRetries(
      async (attempt) => {
        seen.push(`try ${attempt}`);
        if (attempt === 1) throw new TransferError('Network', 'Failed to fetch');
        return 'ok';
      },
      async () => {
        seen.push('resign');
      },
      undefined,
      { presigned: true },
    );
    expect([result, seen]).toEqual(['ok', ['try 1', 'resign', 'try 2']]);
  });

  it('stops at once when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      withRetries(
        async () => Promise.reject(http(503)),
        async () => {},
        controller.signal,
      ),
    ).rejects.toMatchObject({ code: 'Aborted' });
  });
});
