/**
 * What the file request tests share: the presign server on the real embedded store, a real
 * RSA-4096 request key (made once per file), and files sent the way a page sends them (one tiny
 * part, the meta object, Complete). Sealed blobs are random bytes: the server never opens them.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { LimitSettings } from '../../../server/config.ts';
import type { LocalS3 } from '../../../server/local-s3.ts';
import type { RequestStore } from '../../../server/request-store.ts';
import type { Storage } from '../../../server/storage.ts';
import type { CreateFileUploadResponse, PartUrlsResponse } from '../../../src/contract/api.ts';
import type { CreateRequestBody, CreateRequestResponse } from '../../../src/contract/requests.ts';
import { startTestServer } from '../../support/test-server.ts';

export interface Harness {
  dir: string;
  s3: LocalS3;
  storage: Storage;
  requests: RequestStore;
  app: FastifyInstance;
  /** another process on the same bucket: the same secret, its own in-memory locks */
  second: FastifyInstance;
  stop(): Promise<void>;
}

const OWNER_SECRET = 'request-tests-owner-secret-0123456789';

export async function startHarness(limits: Partial<LimitSettings> = {}): Promise<Harness> {
  const server = await startTestServer({
    name: 'cipherdrop-requests-',
    access: { maxFileSize: 1_000_000, ownerSecret: OWNER_SECRET },
    limits,
    presignExpiresSeconds: 60,
  });
  const { dir, s3, storage, app, stop } = server;
  return { dir, s3, storage, requests: storage.requests as RequestStore, app, second: await server.build(), stop };
}

/** One RSA-4096 key pair per test file: making one costs a second or more. */
export const requestKey = () => generateKeyPairSync('rsa', { modulusLength: 4096, publicExponent: 65537 });

export const spkiOf = (key: ReturnType<typeof requestKey>['publicKey']) => key.export({ format: 'der', type: 'spki' });

export const blob = (bytes: number) => randomBytes(bytes).toString('base64url');

export function caller(app: FastifyInstance) {
  return async (method: 'GET' | 'POST', url: string, payload?: object, bearer?: string) => {
    const headers: Record<string, string> = bearer === undefined ? {} : { authorization: bearer.includes(' ') ? bearer : `Bearer ${bearer}` };
    const res = await app.inject({ method, url, payload, headers });
    return { status: res.statusCode, body: res.body ? res.json() : null };
  };
}

export function requestBody(publicKey: Buffer, extra: Partial<CreateRequestBody> = {}): CreateRequestBody {
  return { publicKey: publicKey.toString('base64url'), sealedPrivateKey: blob(3000), card: blob(200), ...extra };
}

export async function createRequest(app: FastifyInstance, publicKey: Buffer, extra: Partial<CreateRequestBody> = {}): Promise<CreateRequestResponse> {
  const res = await caller(app)('POST', '/api/requests', requestBody(publicKey, extra));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** A one-part upload's declaration (contract/layout.ts). */
export const declare = (size: number, requestId?: string, metaSize = 4) => ({
  size,
  partCount: 1,
  partSize: 0,
  headerSize: 0,
  metaSize,
  ...(requestId ? { requestId } : {}),
});

export async function startSending(app: FastifyInstance, requestId: string, size = 1000): Promise<CreateFileUploadResponse> {
  const res = await caller(app)('POST', '/api/uploads', declare(size, requestId));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** PUTs the part and the meta object, then completes: as the page does. Returns Complete's answer. */
export type Reply = Awaited<ReturnType<ReturnType<typeof caller>>>;

export async function finishSending(app: FastifyInstance, c: CreateFileUploadResponse, size = 1000): Promise<Reply> {
  const call = caller(app);
  const signed = await call('POST', `/api/uploads/${c.id}/parts`, { ticket: c.ticket, uploadId: c.uploadId, partNumbers: [1] });
  expect(signed.status, JSON.stringify(signed.body)).toBe(200);
  const put = await fetch((signed.body as PartUrlsResponse).urls[0].url, { method: 'PUT', body: new Uint8Array(size) });
  expect(put.status).toBe(200);
  expect((await fetch(c.metaUrl, { method: 'PUT', body: 'meta', headers: c.metaHeaders })).status).toBe(200);
  return call('POST', `/api/uploads/${c.id}/complete`, { ticket: c.ticket, uploadId: c.uploadId, parts: [{ partNumber: 1, etag: put.headers.get('etag') }] });
}

export async function send(app: FastifyInstance, requestId: string, size = 1000): Promise<CreateFileUploadResponse> {
  const c = await startSending(app, requestId, size);
  const done = await finishSending(app, c, size);
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return c;
}

/** Every key in the bucket under the prefix, for "nothing was lost or created". */
export async function bucketKeys(h: Harness): Promise<string[]> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const { s3Client } = await import('../../../server/s3-client.ts');
  const client = s3Client(h.s3.settings, h.s3.settings.endpoint);
  const out = await client.send(new ListObjectsV2Command({ Bucket: h.s3.settings.bucket, Prefix: 'cipherdrop/' }));
  return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
}
