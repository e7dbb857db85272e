import { describe, expect, it } from 'vitest';
import { TransferError } from '../../src/errors.ts';
import { backoff, MAX_ATTEMPTS, MAX_DELAY_MS, retryDecision, withRetries } from '../../src/transfer/retry.ts';

const http = (status: number) => new TransferError('HttpStatus', `HTTP ${status}`, status);
const half = () => 0.5;

describe('retryDecision', () => {
  it('retries network errors, 408, 429 and 5xx with growing jittered backoff', () => {
    for (const error of [new TransferError('Network', 'reset'), http(408), http(429), http(500), http(503)]) {
      expect(retryDecision(error, 1, half)).toEqual({ action: 'retry', delayMs: backoff(1, half) });
    }
    expect(backoff(3, half)).toBeGreaterThan(backoff(1, half));
    expect(backoff(30, () => 1)).toBe(MAX_DELAY_MS);
    expect(backoff(2, () => 0)).toBe(0);
  });

  it('re-signs once after a 403 (an expired presigned URL), then fails', () => {
    expect(retryDecision(http(403), 1)).toEqual({ action: 'resign' });
    expect(retryDecision(http(403), 2)).toEqual({ action: 'fail' });
  });

  it('fails other 4xx, format errors, missing ETags and unknown errors at once', () => {
    for (const error of [http(400), http(404), new TransferError('MissingETag', 'cors'), new TransferError('Aborted', 'x'), new Error('bug')]) {
      expect(retryDecision(error, 1)).toEqual({ action: 'fail' });
    }
  });

  it("gives up after MAX_ATTEMPTS, or the caller's own limit", () => {
    expect(retryDecision(http(503), MAX_ATTEMPTS)).toEqual({ action: 'fail' });
    expect(retryDecision(http(503), MAX_ATTEMPTS, half, 10)).toEqual({ action: 'retry', delayMs: backoff(MAX_ATTEMPTS, half) });
    expect(retryDecision(http(503), 10, half, 10)).toEqual({ action: 'fail' });
  });

  it('retries the presign API only when it is rate limited or unavailable, never on its refusals', () => {
    const api = (status: number, code: string) => new TransferError('Api', code, status, code);
    for (const error of [api(429, 'RateLimited'), api(502, 'Unknown'), api(503, 'StorageUnavailable'), api(504, 'Unknown')]) {
      expect(retryDecision(error, 1, half)).toEqual({ action: 'retry', delayMs: backoff(1, half) });
    }
    for (const error of [api(400, 'BadRequest'), api(401, 'Unauthorized'), api(403, 'Forbidden'), api(413, 'TooLarge'), api(500, 'Internal')]) {
      expect(retryDecision(error, 1, half)).toEqual({ action: 'fail' });
    }
    expect(retryDecision(new TransferError('NotFound', 'gone', 404), 1)).toEqual({ action: 'fail' });
    expect(retryDecision(new TransferError('Expired', 'gone', 410), 1)).toEqual({ action: 'fail' });
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
