/**
 * The create answer carries the first batch of part URLs (issue 15: many small files, fewer round
 * trips), signed exactly as POST …/parts signs them: for this upload's id and uploadId only, each
 * bound to its part's exact byte count. Absent where parts cannot be signed ahead: under SSE-C
 * (the browser makes the uploadId) and with part checksums (each part is signed once sealed).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage } from '../../../server/storage.ts';
import type { CreateFileUploadResponse, CreateUploadResponse, PartUrlsResponse } from '../../../src/contract/api.ts';
import { MAX_PARTS_PER_BATCH } from '../../../src/contract/limits.ts';
import { startTestServer, type TestServer } from '../../support/test-server.ts';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const HEADER = 100;
let stack: TestServer;
let app: FastifyInstance;

beforeAll(async () => {
  stack = await startTestServer({ name: 'cipherdrop-create-urls-' });
  app = stack.app;
});

afterAll(() => stack?.stop());

async function call<T>(server: FastifyInstance, url: string, payload: object): Promise<{ status: number; body: T }> {
  const res = await server.inject({ method: 'POST', url, payload });
  return { status: res.statusCode, body: res.json() as T };
}

async function create(server: FastifyInstance, layout: object): Promise<CreateFileUploadResponse> {
  const res = await call<CreateFileUploadResponse>(server, '/api/uploads', { metaSize: 4, ...layout });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** A layout of `count` parts: part 1 carries the header, the last `last` bytes. */
const layoutOf = (count: number, last: number) => ({ size: HEADER + (count - 1) * PART + last, partCount: count, partSize: PART, headerSize: HEADER });

/** The URL is this upload's: its object key names the id, and it is for this uploadId and part. */
function expectFor(url: string, c: CreateUploadResponse, partNumber: number): void {
  const u = new URL(url);
  expect(u.pathname).toContain(`/${c.id}/data`);
  expect(u.searchParams.get('uploadId')).toBe(c.uploadId);
  expect(u.searchParams.get('partNumber')).toBe(String(partNumber));
  expect(u.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain('content-length');
}

/** The store takes exactly `size` bytes at this URL, and refuses one byte more or less. */
async function expectBoundTo(url: string, size: number): Promise<string> {
  expect((await fetch(url, { method: 'PUT', body: new Uint8Array(size + 1) })).status).toBe(403);
  expect((await fetch(url, { method: 'PUT', body: new Uint8Array(size - 1) })).status).toBe(403);
  const put = await fetch(url, { method: 'PUT', body: new Uint8Array(size) });
  expect(put.status).toBe(200);
  return put.headers.get('etag') as string;
}

describe('the create answer carries the first batch of part URLs', () => {
  it('a one-part file gets its one URL, bound to its size, and completes with no …/parts call', async () => {
    const c = await create(app, { size: 1000, partCount: 1, partSize: 0, headerSize: 0 });
    expect(c.partUrls?.map((p) => p.partNumber)).toEqual([1]);
    const [{ url, headers }] = c.partUrls ?? [];
    expect(headers).toBeUndefined();
    expectFor(url, c, 1);
    const etag = await expectBoundTo(url, 1000);
    expect((await fetch(c.metaUrl, { method: 'PUT', body: 'meta', headers: c.metaHeaders })).status).toBe(200);
    const done = await call(app, `/api/uploads/${c.id}/complete`, { ticket: c.ticket, uploadId: c.uploadId, parts: [{ partNumber: 1, etag }] });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
  });

  it('every part of a three-part file, each signed for its own exact size (header part, middle, short last)', async () => {
    const c = await create(app, layoutOf(3, 777));
    expect(c.partUrls?.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    const sizes = [HEADER + PART, PART, 777];
    const parts = [];
    for (const { partNumber, url } of c.partUrls ?? []) {
      expectFor(url, c, partNumber);
      parts.push({ partNumber, etag: await expectBoundTo(url, sizes[partNumber - 1]) });
    }
    expect((await fetch(c.metaUrl, { method: 'PUT', body: 'meta', headers: c.metaHeaders })).status).toBe(200);
    const done = await call(app, `/api/uploads/${c.id}/complete`, { ticket: c.ticket, uploadId: c.uploadId, parts });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
  });

  it('a file of more than one batch gets parts 1…MAX_PARTS_PER_BATCH only; the rest come from …/parts as before', async () => {
    const count = MAX_PARTS_PER_BATCH + 50;
    const c = await create(app, layoutOf(count, 777));
    const numbers = Array.from({ length: MAX_PARTS_PER_BATCH }, (_, i) => i + 1);
    expect(c.partUrls?.map((p) => p.partNumber)).toEqual(numbers);
    for (const { partNumber, url } of c.partUrls ?? []) expectFor(url, c, partNumber);
    expect(new Set(c.partUrls?.map((p) => p.url)).size).toBe(MAX_PARTS_PER_BATCH);
    const urls = new Map(c.partUrls?.map((p) => [p.partNumber, p.url]));
    await expectBoundTo(urls.get(1) as string, HEADER + PART);
    await expectBoundTo(urls.get(MAX_PARTS_PER_BATCH) as string, PART);
    const rest = await call<PartUrlsResponse>(app, `/api/uploads/${c.id}/parts`, { ticket: c.ticket, uploadId: c.uploadId, partNumbers: [count] });
    expect(rest.status).toBe(200);
    await expectBoundTo(rest.body.urls[0].url, 777);
  });

  it('with part checksums there are none: each part is signed once sealed, with its digest', async () => {
    const checked = await stack.build({ storage: createStorage({ ...stack.s3.settings, partChecksum: 'sha256' }, 'cipherdrop/', 600) });
    const c = await create(checked, { size: 1000, partCount: 1, partSize: 0, headerSize: 0 });
    expect(c.partChecksum).toBe('sha256');
    expect(c.uploadId).toEqual(expect.any(String));
    expect('partUrls' in c).toBe(false);
  });

  it('under SSE-C there are none: the browser makes the multipart upload, so no uploadId exists yet', async () => {
    const ssec = await stack.build({ storage: createStorage({ ...stack.s3.settings, sse: { mode: 'sse-c' } }, 'cipherdrop/', 600) });
    const c = await create(ssec, { size: 1000, partCount: 1, partSize: 0, headerSize: 0 });
    expect(c.uploadId).toBeNull();
    expect(c.create?.url).toEqual(expect.any(String));
    expect('partUrls' in c).toBe(false);
  });
});
