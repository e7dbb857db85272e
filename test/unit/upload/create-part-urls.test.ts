/**
 * The create answer's part URLs (issue 15: many small files, fewer round trips): the first
 * `sendParts` after `startUpload` uses them before it asks for a batch, so a file of up to one
 * batch of parts costs create + complete only. A resumed upload has none and fetches batches as
 * before; a URL the store refuses (403) is signed again through …/parts like any batch URL.
 * Against a fake API that counts its calls (the server's side: test/unit/server/create-part-urls.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CreateUploadResponse } from '../../../src/contract/api.ts';
import { MAX_PARTS_PER_BATCH } from '../../../src/contract/limits.ts';
import type { PartPlan } from '../../../src/layout.ts';
import type { Api, PartsRef } from '../../../src/transfer/api.ts';
import { Limiter } from '../../../src/transfer/limit.ts';
import { directRunner, type PartRunner } from '../../../src/transfer/parts.ts';
import { aesGcmSealer, type PartSealer } from '../../../src/upload/sealer.ts';
import { sendParts, startUpload, uploadFile } from '../../../src/upload/uploader.ts';

const ID = 'file1'.padEnd(22, 'x');
const created = (url: string) => `http://store.test/created/${url}`;
const batched = (url: string) => `http://store.test/batch/${url}`;

/** The API as the uploader calls it; `calls` lists every call, `/parts` calls with their part numbers. */
class FakeApi {
  calls: string[] = [];
  batches: number[][] = [];
  /** what the create answer carries beside the usual fields */
  answer: (partCount: number) => Partial<CreateUploadResponse> = (partCount) => ({
    partUrls: Array.from({ length: Math.min(partCount, MAX_PARTS_PER_BATCH) }, (_, i) => ({ partNumber: i + 1, url: created(`${i + 1}`) })),
  });

  api = {
    createUpload: async ({ partCount }: { partCount: number }): Promise<CreateUploadResponse> => {
      this.calls.push('create');
      return {
        id: ID,
        uploadId: 'upload1',
        customerKey: false,
        partChecksum: null,
        metaUrl: 'http://store.test/meta',
        metaHeaders: {},
        expiresAt: null,
        ownerToken: 'owner',
        ticket: 'ticket1',
        resumableUntil: Date.now() + 86_400_000,
        ...this.answer(partCount),
      };
    },
    partUrls: async (_upload: PartsRef, partNumbers: number[]) => {
      this.calls.push('parts');
      this.batches.push(partNumbers);
      return { urls: partNumbers.map((partNumber) => ({ partNumber, url: batched(`${partNumber}`) })) };
    },
    complete: async () => {
      this.calls.push('complete');
    },
    abort: async () => {
      this.calls.push('abort');
      return { multipartAborted: true };
    },
  } as unknown as Api; // only the calls the uploader makes
}

/** Records which URL each part was given to try first; the PUT itself always succeeds. */
class UrlRunner implements PartRunner {
  urls = new Map<number, string | undefined>();
  async sendPart({ part, url }: { part: PartPlan; url?: string }): Promise<{ etag: string }> {
    this.urls.set(part.partNumber, url);
    return { etag: `"etag-${part.partNumber}"` };
  }
}

/** Plans `count` parts of 16 bytes (the runner never seals them): many parts from a small file. */
const tinyParts = (count: number): PartSealer => ({
  ...aesGcmSealer,
  plan: (_size, _frameLength, headerLength) =>
    Array.from({ length: count }, (_, i) => ({
      partNumber: i + 1,
      plainStart: 16 * i,
      plainEnd: 16 * (i + 1),
      firstSeq: i + 1,
      endsMessage: i === count - 1,
      includesHeader: i === 0,
      cipherSize: (i === 0 ? headerLength : 0) + 16,
    })),
});

const source = (size: number) => ({ blob: new Blob([new Uint8Array(size).fill(7)]), name: 'small.txt', type: 'text/plain', lastModified: 1_700_000_000_000 });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

let fake: FakeApi;
beforeEach(() => {
  fake = new FakeApi();
  // The meta object's PUT goes straight to the store.
  vi.stubGlobal('fetch', async () => new Response(null, { status: 200 }));
});
afterEach(() => vi.unstubAllGlobals());

describe('part URLs from the create answer', () => {
  it('a one-part file makes no …/parts call: create and complete only', async () => {
    const runner = new UrlRunner();
    await uploadFile(source(1000), { api: fake.api, runner });
    expect(fake.calls).toEqual(['create', 'complete']);
    expect([...runner.urls]).toEqual([[1, created('1')]]);
  });

  it('a file of more than one batch asks only for the batches after the first', async () => {
    const count = 2 * MAX_PARTS_PER_BATCH + 50;
    const runner = new UrlRunner();
    await uploadFile(source(16 * count), { api: fake.api, runner, sealer: tinyParts(count) });
    expect(fake.batches).toEqual([range(MAX_PARTS_PER_BATCH + 1, 2 * MAX_PARTS_PER_BATCH), range(2 * MAX_PARTS_PER_BATCH + 1, count)]);
    expect(fake.calls.filter((c) => c !== 'parts')).toEqual(['create', 'complete']);
    for (const n of range(1, count)) expect(runner.urls.get(n), `part ${n}`).toBe(n <= MAX_PARTS_PER_BATCH ? created(`${n}`) : batched(`${n}`));
  });

  it('a resumed upload (its record saved and read back) has no fresh URLs: it fetches its batch as before', async () => {
    const record = await startUpload(source(1000), { api: fake.api });
    const resumed = { ...record, done: [...record.done] };
    const runner = new UrlRunner();
    await sendParts(resumed, source(1000).blob, { api: fake.api, runner, limiter: new Limiter(4) });
    expect(fake.calls).toEqual(['create', 'parts']);
    expect(fake.batches).toEqual([[1]]);
    expect(runner.urls.get(1)).toBe(batched('1'));
  });

  it('only the first sendParts after create uses them: a second (after a pause) fetches its batch', async () => {
    const record = await startUpload(source(1000), { api: fake.api });
    const paused = new AbortController();
    paused.abort();
    await expect(
      sendParts(record, source(1000).blob, { api: fake.api, runner: new UrlRunner(), limiter: new Limiter(4), signal: paused.signal }),
    ).rejects.toThrow();
    const runner = new UrlRunner();
    await sendParts(record, source(1000).blob, { api: fake.api, runner, limiter: new Limiter(4) });
    expect(fake.batches).toEqual([[1]]);
    expect(runner.urls.get(1)).toBe(batched('1'));
  });

  it('without them (an older server, SSE-C, part checksums) the first batch is fetched as before', async () => {
    fake.answer = () => ({});
    const runner = new UrlRunner();
    await uploadFile(source(1000), { api: fake.api, runner });
    expect(fake.calls).toEqual(['create', 'parts', 'complete']);
    expect(runner.urls.get(1)).toBe(batched('1'));
  });

  it('URLs in an answer with part checksums are not used: each part is signed once sealed, with its digest', async () => {
    fake.answer = (partCount) => ({ partChecksum: 'sha256', partUrls: [{ partNumber: 1, url: created(`${partCount}`) }] });
    const runner = new UrlRunner();
    await uploadFile(source(1000), { api: fake.api, runner });
    expect(runner.urls.get(1)).toBeUndefined();
  });

  it('a create-answer URL the store refuses (expired: 403) is signed again through …/parts, and the same bytes are sent', async () => {
    const puts: string[] = [];
    vi.stubGlobal('fetch', async (url: string | URL) => {
      const u = String(url);
      if (u.endsWith('/meta')) return new Response(null, { status: 200 });
      puts.push(u);
      if (u === created('1')) return new Response('<Error><Code>AccessDenied</Code></Error>', { status: 403 });
      return new Response(null, { status: 200, headers: { ETag: '"etag-1"' } });
    });
    await uploadFile(source(1000), { api: fake.api, runner: directRunner });
    expect(puts).toEqual([created('1'), batched('1')]);
    expect(fake.calls).toEqual(['create', 'parts', 'complete']);
    expect(fake.batches).toEqual([[1]]);
  });
});
