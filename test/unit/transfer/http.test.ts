/**
 * Silent connections against a real HTTP server on 127.0.0.1: one that never answers, one that
 * stops in the middle of a body. Each must end as a retryable network error, not wait forever.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransferError } from '../../../src/errors.ts';
import { MIN_UPLOAD_BYTES_PER_SECOND, readExactly, request, responseTimeout, STALL_TIMEOUT_MS } from '../../../src/transfer/http.ts';
import { retryDecision } from '../../../src/transfer/retry.ts';

let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/silent') return; // never answers
    if (req.url === '/half') {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(400, 7)); // then nothing more
      return;
    }
    res.writeHead(200, { 'content-length': '5' }).end('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('stalled connections', () => {
  it('gives up on a response that never begins, as a network error the policy retries', async () => {
    const started = Date.now();
    const error = await request(`${base}/silent`, {}, 300).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferError);
    expect(error).toMatchObject({ code: 'Network', message: expect.stringContaining('No answer') });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(retryDecision(error, 1, { random: () => 0.5 }).action).toBe('retry');
  });

  it('gives up on a body that stops moving, and reads a whole body normally', async () => {
    const response = await request(`${base}/half`, {});
    await expect(readExactly(response, 1000, undefined, 300)).rejects.toMatchObject({ code: 'Network', message: expect.stringContaining('stalled') });
    const ok = await readExactly(await request(`${base}/ok`, {}), 5, undefined, 300);
    expect(Buffer.from(ok).toString()).toBe('hello');
  });

  it('an abort by the caller is a cancel, not a network error', async () => {
    const controller = new AbortController();
    const pending = request(`${base}/silent`, { signal: controller.signal }, 10_000);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'Aborted' });
  });

  it('waits longer for a PUT the larger its body (fetch reports no upload progress)', () => {
    expect(responseTimeout()).toBe(STALL_TIMEOUT_MS);
    expect(responseTimeout(16 * 1024 * 1024)).toBe(STALL_TIMEOUT_MS + (1000 * 16 * 1024 * 1024) / MIN_UPLOAD_BYTES_PER_SECOND);
  });
});
