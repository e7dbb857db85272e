/**
 * Issue 13's findings, each replayed as an attacker would against the presign server and the
 * real embedded store, and each refused. Named after the finding; every one failed on the code
 * before its fix. The store's own doors (unsigned requests, CORS, crashing Complete) are in
 * store-guard.test.ts; quotas, proxies and rate limits in limits.test.ts.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccess } from '../../../server/config.ts';
import type { LocalS3 } from '../../../server/local-s3.ts';
import { s3Client } from '../../../server/s3-client.ts';
import type { Storage } from '../../../server/storage.ts';
import type { CreateFileUploadResponse, PartUrlsResponse } from '../../../src/contract/api.ts';
import { startTestServer, type TestServer } from '../../support/test-server.ts';

const MiB = 1024 * 1024;
let stack: TestServer;
let dir: string;
let s3: LocalS3;
let storage: Storage;
let app: FastifyInstance;

beforeAll(async () => {
  stack = await startTestServer({ name: 'cipherdrop-doors-', access: { maxFileSize: 1_000_000 }, presignExpiresSeconds: 60 });
  ({ dir, s3, storage, app } = stack);
});

afterAll(() => stack?.stop());

async function call(method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) {
  const res = await app.inject({ method, url, payload, headers });
  return { status: res.statusCode, body: res.body ? res.json() : null, headers: res.headers };
}

const declare = (size: number, metaSize = 4) => ({ size, partCount: 1, partSize: 0, headerSize: 0, metaSize });

async function create(body: object = declare(1000)): Promise<CreateFileUploadResponse> {
  const res = await call('POST', '/api/uploads', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function partUrl(c: CreateFileUploadResponse, partNumber = 1): Promise<string> {
  const res = await call('POST', `/api/uploads/${c.id}/parts`, { ticket: c.ticket, uploadId: c.uploadId, partNumbers: [partNumber] });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body as PartUrlsResponse).urls[0].url;
}

/** A whole one-part file, uploaded as the page does. */
async function publish(bytes = 1000): Promise<CreateFileUploadResponse> {
  const c = await create(declare(bytes));
  const put = await fetch(await partUrl(c), { method: 'PUT', body: new Uint8Array(bytes) });
  expect(put.status).toBe(200);
  expect((await fetch(c.metaUrl, { method: 'PUT', body: 'meta', headers: c.metaHeaders })).status).toBe(200);
  const done = await call('POST', `/api/uploads/${c.id}/complete`, {
    ticket: c.ticket,
    uploadId: c.uploadId,
    parts: [{ partNumber: 1, etag: put.headers.get('etag') }],
  });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return c;
}

describe('finding 1: writing outside the data directory', () => {
  it('refuses a path-like upload id with 400 before anything is signed, and nothing appears outside the data directory', async () => {
    const c = await create();
    const target = path.join(dir, 'pwn');
    const traversal = `../../../../../../..${target}`;
    for (const uploadId of [traversal, '..', '.', 'a/b', '..%2F..%2Fx']) {
      const res = await call('POST', `/api/uploads/${c.id}/parts`, { ticket: c.ticket, uploadId, partNumbers: [7] });
      expect([res.status, res.body.error.code], uploadId).toEqual([400, 'BadRequest']);
      expect(res.body.error.message).toMatch(/uploadId/);
    }
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir)).toEqual(['s3']);
  });
});

describe('finding 3: deleting someone else’s file', () => {
  it('abort needs the owner token: without it 400, with another file’s 403, and the victim’s file still opens', async () => {
    const victim = await publish();
    const attacker = await create();
    const none = await call('POST', `/api/uploads/${victim.id}/abort`, { uploadId: 'x' });
    expect([none.status, none.body.error.code]).toEqual([400, 'BadRequest']);
    const other = await call('POST', `/api/uploads/${victim.id}/abort`, { ownerToken: attacker.ownerToken, uploadId: 'x' });
    expect([other.status, other.body.error.code]).toEqual([403, 'Forbidden']);
    expect((await call('GET', `/api/files/${victim.id}`)).status).toBe(200);
  });

  it('the upload routes need the upload’s own ticket: another file’s, a forged or an altered one is 403', async () => {
    const mine = await create();
    const theirs = await create();
    const [payload, mac] = mine.ticket.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const grown = `${Buffer.from(JSON.stringify({ ...claims, size: 999_999 })).toString('base64url')}.${mac}`;
    for (const ticket of [theirs.ticket, grown, `${payload}.${'A'.repeat(43)}`]) {
      const res = await call('POST', `/api/uploads/${mine.id}/parts`, { ticket, uploadId: mine.uploadId, partNumbers: [1] });
      expect([res.status, res.body.error.code]).toEqual([403, 'Forbidden']);
    }
  });

  it('the owner aborts an unfinished upload and nothing of it is left (no orphaned meta object)', async () => {
    const c = await create();
    expect((await fetch(c.metaUrl, { method: 'PUT', body: 'meta', headers: c.metaHeaders })).status).toBe(200);
    const res = await call('POST', `/api/uploads/${c.id}/abort`, { ownerToken: c.ownerToken, uploadId: c.uploadId });
    expect(res.status).toBe(200);
    expect(await storage.stat(c.id, 'meta')).toBeNull();
    expect(await storage.stat(c.id, 'data')).toBeNull();
  });
});

describe('finding 5: declared sizes are enforced', () => {
  it('a part URL is bound to the part’s exact size: a larger or smaller body is refused by the store', async () => {
    const c = await create(declare(1000));
    const url = await partUrl(c);
    expect((await fetch(url, { method: 'PUT', body: new Uint8Array(3_000_000) })).status).toBe(403);
    expect((await fetch(url, { method: 'PUT', body: new Uint8Array(999) })).status).toBe(403);
    expect((await fetch(url, { method: 'PUT', body: new Uint8Array(1000) })).status).toBe(200);
  });

  it('only part numbers 1…partCount are signed', async () => {
    const c = await create(declare(1000));
    for (const partNumbers of [[2], [10_000], [1, 2]]) {
      const res = await call('POST', `/api/uploads/${c.id}/parts`, { ticket: c.ticket, uploadId: c.uploadId, partNumbers });
      expect([res.status, res.body.error.code]).toEqual([400, 'InvalidParts']);
    }
  });

  it('the meta PUT is bound to its declared size (at most 64 KiB)', async () => {
    const c = await create(declare(1000, 4));
    expect((await fetch(c.metaUrl, { method: 'PUT', body: new Uint8Array(100_000), headers: c.metaHeaders })).status).toBe(403);
    const big = await call('POST', '/api/uploads', declare(1000, 64 * 1024 + 1));
    expect(big.status).toBe(400);
  });

  it('a declared size over MAX_FILE_SIZE is 413, and parts adding up to more than declared are refused at creation', async () => {
    expect((await call('POST', '/api/uploads', declare(1_000_001))).status).toBe(413);
    const overlong = await call('POST', '/api/uploads', { size: 1000, partCount: 2, partSize: 5 * MiB, headerSize: 0, metaSize: 4 });
    expect([overlong.status, overlong.body.error.message]).toEqual([400, expect.stringMatching(/layout/)]);
  });

  it('Complete lists exactly the declared parts, and a finished file that does not add up is removed', async () => {
    const c = await create(declare(1000));
    const put = await fetch(await partUrl(c), { method: 'PUT', body: new Uint8Array(1000) });
    await fetch(c.metaUrl, { method: 'PUT', body: 'meta', headers: c.metaHeaders });
    const etag = put.headers.get('etag');
    const extra = await call('POST', `/api/uploads/${c.id}/complete`, {
      ticket: c.ticket,
      uploadId: c.uploadId,
      parts: [
        { partNumber: 1, etag },
        { partNumber: 2, etag },
      ],
    });
    expect([extra.status, extra.body.error.code]).toEqual([400, 'InvalidParts']);
    expect(await storage.stat(c.id, 'data')).toBeNull();
  });
});

describe('finding 6: the bucket never serves uploader-chosen HTML', () => {
  it('the meta PUT signs its Content-Type: sending text/html is refused', async () => {
    const c = await create();
    const headers = { ...c.metaHeaders, 'content-type': 'text/html' };
    expect((await fetch(c.metaUrl, { method: 'PUT', body: '<scr', headers })).status).toBe(403);
    expect(new URL(c.metaUrl).searchParams.get('X-Amz-SignedHeaders')).toContain('content-type');
  });

  it('presigned GETs force application/octet-stream and attachment, whatever the object was stored as', async () => {
    const c = await publish();
    // As a hostile store client could have written it.
    const client = s3Client(s3.settings, s3.settings.endpoint);
    const Key = `cipherdrop/${c.id}/meta`;
    await client.send(new PutObjectCommand({ Bucket: s3.settings.bucket, Key, Body: '<script>alert(1)</script>', ContentType: 'text/html' }));
    const info = await call('GET', `/api/files/${c.id}`);
    for (const url of [info.body.metaUrl, info.body.dataUrl]) {
      const got = await fetch(url);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('application/octet-stream');
      expect(got.headers.get('content-disposition')).toBe('attachment');
    }
  });
});

describe('finding 7: write once', () => {
  it('a finished file’s meta cannot be rewritten through its URL, and it cannot be completed again', async () => {
    const c = await publish();
    const rewrite = await fetch(c.metaUrl, { method: 'PUT', body: 'evil', headers: c.metaHeaders });
    expect(rewrite.status).toBe(412);
    const again = await call('POST', `/api/uploads/${c.id}/complete`, { ticket: c.ticket, uploadId: c.uploadId, parts: [{ partNumber: 1, etag: '"x"' }] });
    expect([again.status, again.body.error.code]).toEqual([409, 'AlreadyComplete']);
    const meta = await fetch((await call('GET', `/api/files/${c.id}`)).body.metaUrl);
    expect(await meta.text()).toBe('meta');
  });

  it('the meta URL is short-lived (15 minutes at most)', async () => {
    const c = await create();
    expect(Number(new URL(c.metaUrl).searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(15 * 60);
  });
});

describe('finding 7: every answer has the security headers and the API’s error shape', () => {
  const expectHardened = (res: { status: number; headers: Record<string, unknown>; body: unknown }, status: number) => {
    expect(res.status).toBe(status);
    expect(String(res.headers['content-security-policy'])).toContain("default-src 'self'");
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  };

  it('a 404 does not echo the path (a pasted link’s percent-encoded secret stays out of the answer)', async () => {
    const res = await call('GET', '/d/AAAAAAAAAAAAAAAAAAAAAA%23thesecretpart/x');
    expectHardened(res, 404);
    expect(JSON.stringify(res.body)).not.toContain('thesecretpart');
  });

  it('a bad escape is a 400 and an over-long URL a 414, both hardened', async () => {
    expectHardened(await call('GET', '/api/files/%E0%A4%A'), 400);
    expectHardened(await call('GET', `/api/files/${'A'.repeat(5000)}`), 414);
  });

  it('API answers, successes included, are never cached', async () => {
    const res = await call('POST', '/api/uploads', declare(10));
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('a request for another host name (DNS rebinding) is 421', async () => {
    expectHardened(await call('GET', '/api/health', undefined, { host: 'attacker.example:8080' }), 421);
    expect((await call('GET', '/api/health', undefined, { host: '127.0.0.1:8080' })).status).toBe(200);
    expect((await call('GET', '/api/health', undefined, { host: '[::1]:8080' })).status).toBe(200);
  });

  it('HSTS is sent when configured (APP_ORIGIN https turns it on by default)', async () => {
    const tls = await stack.build({
      access: openAccess(),
      edge: { appOrigins: ['https://drop.example'], allowedHosts: ['drop.example'], hstsMaxAge: 31536000 },
    });
    try {
      const res = await tls.inject({ method: 'GET', url: '/api/health', headers: { host: 'drop.example' } });
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    } finally {
      await tls.close();
    }
  });
});
