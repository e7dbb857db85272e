/** The presign API against the real embedded S3 (s3rver in its child process), driven with fetch. */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../server/app.ts';
import { auditBucket } from '../../../server/audit.ts';
import { openAccess, openLimits } from '../../../server/config.ts';
import { type LocalS3, startLocalS3 } from '../../../server/local-s3.ts';
import { s3Client } from '../../../server/s3-client.ts';
import { createStorage } from '../../../server/storage.ts';
import { sweepExpired } from '../../../server/sweeper.ts';
import type { CreateFileUploadResponse, FileInfoResponse, PartUrlsResponse } from '../../../src/contract/api.ts';
import { importWrappingKey } from '../../../src/crypto/cipher.ts';
import { aesKeyring } from '../../../src/crypto/keyring.ts';
import { encryptBytes } from '../../../src/crypto/message.ts';
import { objectContext } from '../../../src/crypto/objects.ts';
import { randomData } from '../helpers.ts';

const MiB = 1024 * 1024;
let dir: string;
let s3: LocalS3;
let app: FastifyInstance;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-s3-'));
  s3 = await startLocalS3(path.join(dir, 's3'));
  app = await buildApp({
    access: openAccess(),
    limits: openLimits(),
    storage: createStorage({ ...s3.settings, partChecksum: 'sha256' }, 'cipherdrop/', 60),
    presignExpiresSeconds: 60,
  });
});

afterAll(async () => {
  await app?.close();
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sha256 = (body: Uint8Array | string) => createHash('sha256').update(body).digest('base64');

/** Signs one part with its SHA-256 (the default PART_CHECKSUM) and PUTs it; returns the ETag. */
async function putPart(
  server: FastifyInstance,
  { id, uploadId, ticket }: CreateFileUploadResponse,
  partNumber: number,
  body: Uint8Array<ArrayBuffer> | string,
): Promise<string> {
  const signed = await server.inject({
    method: 'POST',
    url: `/api/uploads/${id}/parts`,
    payload: { ticket, uploadId, partNumbers: [partNumber], checksums: [sha256(body)] },
  });
  const [{ url, headers }] = (signed.json() as PartUrlsResponse).urls;
  const res = await fetch(url, { method: 'PUT', body, headers });
  expect(res.status).toBe(200);
  return res.headers.get('etag') as string;
}

async function api<T>(method: string, url: string, payload?: unknown): Promise<{ status: number; body: T }> {
  const res = await app.inject({ method: method as 'POST', url, payload: payload as object });
  return { status: res.statusCode, body: (res.body ? res.json() : undefined) as T };
}

/** A one-part upload of `size` bytes with a meta object of `metaSize` (contract/layout.ts). */
const small = (size: number, metaSize = 1, more: object = {}) => ({ size, partCount: 1, partSize: 0, headerSize: 0, metaSize, ...more });
/** PUTs the meta object the way the page does: its signed headers, exactly its declared size. */
const putMeta = (created: CreateFileUploadResponse, body: string | Uint8Array<ArrayBuffer> = 'm') =>
  fetch(created.metaUrl, { method: 'PUT', body, headers: created.metaHeaders });
const completeBody = (created: CreateFileUploadResponse, etags: string[]) => ({
  ticket: created.ticket,
  uploadId: created.uploadId,
  parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })),
});

describe('presign API on the real local S3', () => {
  it('multipart upload through presigned URLs, then ranged GETs of the result', async () => {
    const partSize = 5 * MiB;
    const parts = [randomData(partSize), randomData(1234)];
    const created = await api<CreateFileUploadResponse>('POST', '/api/uploads', { size: partSize + 1234, partCount: 2, partSize, headerSize: 0, metaSize: 3 });
    expect(created.status).toBe(201);
    const { id, uploadId, ticket } = created.body;
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);

    // Each part URL is signed with the part's SHA-256: the digest is a signed header the PUT must send.
    expect((await api('POST', `/api/uploads/${id}/parts`, { ticket, uploadId, partNumbers: [1, 2] })).status).toBe(400);
    const checksums = parts.map((p) => sha256(p));
    const signed = await api<PartUrlsResponse>('POST', `/api/uploads/${id}/parts`, { ticket, uploadId, partNumbers: [1, 2], checksums });
    expect(signed.status).toBe(200);
    const etags: string[] = [];
    for (const { partNumber, url, headers } of signed.body.urls) {
      expect(headers).toEqual({ 'x-amz-checksum-sha256': checksums[partNumber - 1] });
      expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host;x-amz-checksum-sha256');
      expect((await fetch(url, { method: 'PUT', body: parts[partNumber - 1] })).status).toBe(403);
      const res = await fetch(url, { method: 'PUT', body: parts[partNumber - 1], headers });
      expect(res.status).toBe(200);
      etags.push(res.headers.get('etag') as string);
    }
    // Completing before the meta object exists is refused: a file is never half-published.
    expect((await api('POST', `/api/uploads/${id}/complete`, completeBody(created.body, etags))).status).toBe(400);
    expect((await putMeta(created.body, new Uint8Array([1, 2, 3]))).status).toBe(200);
    const done = await api('POST', `/api/uploads/${id}/complete`, completeBody(created.body, etags));
    expect(done.status).toBe(200);

    const info = await api<FileInfoResponse>('GET', `/api/files/${id}`);
    expect(info.status).toBe(200);
    expect(info.body.size).toBe(partSize + 1234);
    const ranged = await fetch(info.body.dataUrl, { headers: { range: `bytes=${partSize - 2}-${partSize + 1}` } });
    expect(ranged.status).toBe(206);
    const got = new Uint8Array(await ranged.arrayBuffer());
    expect(Array.from(got)).toEqual([...parts[0].subarray(partSize - 2), ...parts[1].subarray(0, 2)]);
  });

  it('stores the expiry with the object, so any server process answers 410 after it', async () => {
    const { body } = await api<CreateFileUploadResponse>('POST', '/api/uploads', small(10, 1, { expiresInSeconds: 60 }));
    const etag = await putPart(app, body, 1, 'x'.repeat(10));
    // The expiry header is signed: leaving it out breaks the signature.
    expect((await fetch(body.metaUrl, { method: 'PUT', body: 'm' })).status).toBe(403);
    expect((await putMeta(body)).status).toBe(200);
    expect((await api('POST', `/api/uploads/${body.id}/complete`, completeBody(body, [etag]))).status).toBe(200);
    const info = await api<FileInfoResponse>('GET', `/api/files/${body.id}`);
    expect(Math.abs((info.body.expiresAt ?? 0) - (Date.now() + 60_000))).toBeLessThan(5000);
    const later = await buildApp({
      access: openAccess(),
      limits: openLimits(),
      storage: createStorage({ ...s3.settings, partChecksum: 'sha256' }, 'cipherdrop/', 60),
      presignExpiresSeconds: 60,
    });
    const realNow = Date.now;
    Date.now = () => realNow() + 61_000;
    try {
      expect((await later.inject({ method: 'GET', url: `/api/files/${body.id}` })).statusCode).toBe(410);
    } finally {
      Date.now = realNow;
      await later.close();
    }
  });

  it('is stateless: a second server process answers for uploads made through the first, and deletes them', async () => {
    const access = openAccess();
    const [a, b] = await Promise.all(
      [1, 2].map(() =>
        buildApp({
          access,
          limits: openLimits(),
          storage: createStorage({ ...s3.settings, partChecksum: 'sha256' }, 'cipherdrop/', 60),
          presignExpiresSeconds: 60,
        }),
      ),
    );
    try {
      const created = (await a.inject({ method: 'POST', url: '/api/uploads', payload: small(10, 4) })).json() as CreateFileUploadResponse;
      const etag = await putPart(b, created, 1, '0123456789');
      await putMeta(created, 'meta');
      expect((await b.inject({ method: 'POST', url: `/api/uploads/${created.id}/complete`, payload: completeBody(created, [etag]) })).statusCode).toBe(200);
      expect((await b.inject({ method: 'GET', url: `/api/files/${created.id}` })).statusCode).toBe(200);
      expect((await b.inject({ method: 'POST', url: `/api/files/${created.id}/delete`, payload: { ownerToken: created.ownerToken } })).statusCode).toBe(200);
      expect((await a.inject({ method: 'GET', url: `/api/files/${created.id}` })).statusCode).toBe(404);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('the sweeper deletes expired files and keeps the rest', async () => {
    const storage = createStorage({ ...s3.settings, partChecksum: 'sha256' }, 'cipherdrop/', 60);
    const make = async (expiresInSeconds?: number) => {
      const { body } = await api<CreateFileUploadResponse>('POST', '/api/uploads', small(10, 1, { expiresInSeconds }));
      await putMeta(body);
      return body.id;
    };
    const soon = await make(60);
    const later = await make(3600);
    const never = await make();
    const deleted = await sweepExpired(storage, Date.now() + 120_000);
    expect(deleted).toContain(soon);
    expect(deleted).not.toContain(later);
    expect(deleted).not.toContain(never);
    expect(await storage.stat(soon, 'meta')).toBeNull();
    expect(await storage.stat(later, 'meta')).not.toBeNull();
  });

  it('the audit tells client-side-encrypted objects from anything else, and the script exits 1 on a finding', async () => {
    const client = s3Client(s3.settings, s3.settings.endpoint);
    const key = aesKeyring(await importWrappingKey(randomData(32)));
    const id = 'AuditAuditAuditAuditAu';
    const message = await encryptBytes(key, randomData(1000), { context: objectContext(id, 'data') });
    await client.send(new PutObjectCommand({ Bucket: s3.settings.bucket, Key: `cipherdrop/${id}/data`, Body: message }));
    await client.send(new PutObjectCommand({ Bucket: s3.settings.bucket, Key: 'stray/plain.txt', Body: 'hello, plaintext' }));
    const objects = await auditBucket(client, s3.settings.bucket);
    expect(objects.find((o) => o.key === `cipherdrop/${id}/data`)).toMatchObject({ clientSideEncrypted: true, size: message.byteLength });
    expect(objects.find((o) => o.key === 'stray/plain.txt')).toMatchObject({ clientSideEncrypted: false });
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit.ts', '--json'], { env: { ...process.env, DATA_DIR: dir }, encoding: 'utf8' });
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as { notClientSideEncrypted: number; objects: { key: string }[] };
    expect(report.notClientSideEncrypted).toBeGreaterThanOrEqual(1);
    expect(report.objects.some((o) => o.key === 'stray/plain.txt')).toBe(true);
  });

  it('a tampered presigned URL is refused by the store (it checks SigV4)', async () => {
    const { body } = await api<CreateFileUploadResponse>('POST', '/api/uploads', small(10));
    const url = new URL(body.metaUrl);
    url.pathname = url.pathname.replace('/meta', '/data');
    expect((await fetch(url, { method: 'PUT', body: 'x' })).status).toBe(403);
  });

  it('unknown ids are 404 JSON; abort removes the meta object and says whether the store dropped the parts', async () => {
    const missing = await api<{ error: { code: string } }>('GET', '/api/files/AAAAAAAAAAAAAAAAAAAAAA');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NotFound');
    const { body } = await api<CreateFileUploadResponse>('POST', '/api/uploads', small(10));
    await putMeta(body);
    // s3rver cannot list parts either: the answer says so, and a resuming client uses its own record.
    const uploaded = await api<{ supported: boolean; parts: unknown[] }>('POST', `/api/uploads/${body.id}/uploaded`, {
      ticket: body.ticket,
      uploadId: body.uploadId,
    });
    expect([uploaded.status, uploaded.body]).toEqual([200, { supported: false, parts: [] }]);
    const res = await api<{ multipartAborted: boolean }>('POST', `/api/uploads/${body.id}/abort`, { ownerToken: body.ownerToken, uploadId: body.uploadId });
    expect(res.status).toBe(200);
    // s3rver has no AbortMultipartUpload (see shared/S3-SERVERS.md); the answer says so instead of pretending.
    expect(res.body.multipartAborted).toBe(false);
    expect((await api('GET', `/api/files/${body.id}`)).status).toBe(404);
  });
});
