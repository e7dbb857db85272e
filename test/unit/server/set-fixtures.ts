/**
 * What the set tests share: the presign server on the real embedded store (two apps on one bucket,
 * as two processes), and a set's parts made the way the uploader makes them: blobs through the real
 * upload API (one tiny part, no meta object, Complete), the manifest PUT, the set's Complete.
 * Blobs and manifests are random bytes: the server never opens them.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { SseSettings } from '../../../server/config.ts';
import type { LocalS3 } from '../../../server/local-s3.ts';
import type { SetStore } from '../../../server/set-store.ts';
import type { Storage } from '../../../server/storage.ts';
import type { CreateUploadResponse, PartUrlsResponse } from '../../../src/contract/api.ts';
import type { CreateSetBody, CreateSetResponse, SetManifestUrlResponse } from '../../../src/contract/sets.ts';
import { startTestServer, type TestServerOptions } from '../../support/test-server.ts';
import { caller, type Reply } from './request-fixtures.ts';

export { caller, type Reply };

export interface SetHarness {
  s3: LocalS3;
  storage: Storage;
  sets: SetStore;
  app: FastifyInstance;
  /** another process on the same bucket: the same secret, its own in-memory locks */
  second: FastifyInstance;
  stop(): Promise<void>;
}

const OWNER_SECRET = 'set-tests-owner-secret-0123456789';

export async function startSetHarness(extra: Omit<TestServerOptions, 'store'> & { sse?: SseSettings } = {}): Promise<SetHarness> {
  const { sse, ...rest } = extra;
  const server = await startTestServer({
    name: 'cipherdrop-sets-',
    presignExpiresSeconds: 60,
    ...rest,
    store: { sse },
    access: { maxFileSize: 100_000_000, ownerSecret: OWNER_SECRET, ...extra.access },
  });
  const { s3, storage, app, stop } = server;
  return { s3, storage, sets: storage.sets as SetStore, app, second: await server.build(), stop };
}

export async function createSet(app: FastifyInstance, body: CreateSetBody = {}): Promise<CreateSetResponse> {
  const res = await caller(app)('POST', '/api/sets', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** A one-part blob's declaration: no meta object. */
export const declareBlob = (size: number, set: Pick<CreateSetResponse, 'id' | 'ticket'>) => ({
  size,
  partCount: 1,
  partSize: 0,
  headerSize: 0,
  metaSize: 0,
  setId: set.id,
  setTicket: set.ticket,
});

export async function startBlob(app: FastifyInstance, set: CreateSetResponse, size = 1000): Promise<CreateUploadResponse> {
  const res = await caller(app)('POST', '/api/uploads', declareBlob(size, set));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** PUTs the part (these bytes, or `size` random ones), then completes. Returns Complete's answer. */
export async function finishBlob(app: FastifyInstance, c: CreateUploadResponse, bytes: Uint8Array<ArrayBuffer> | number = 1000): Promise<Reply> {
  const call = caller(app);
  const body = typeof bytes === 'number' ? new Uint8Array(randomBytes(bytes)) : bytes;
  const signed = await call('POST', `/api/uploads/${c.id}/parts`, { ticket: c.ticket, uploadId: c.uploadId, partNumbers: [1] });
  expect(signed.status, JSON.stringify(signed.body)).toBe(200);
  const put = await fetch((signed.body as PartUrlsResponse).urls[0].url, { method: 'PUT', body });
  expect(put.status).toBe(200);
  return call('POST', `/api/uploads/${c.id}/complete`, { ticket: c.ticket, uploadId: c.uploadId, parts: [{ partNumber: 1, etag: put.headers.get('etag') }] });
}

export async function sendBlob(app: FastifyInstance, set: CreateSetResponse, bytes: Uint8Array<ArrayBuffer> | number = 1000): Promise<CreateUploadResponse> {
  const c = await startBlob(app, set, typeof bytes === 'number' ? bytes : bytes.byteLength);
  const done = await finishBlob(app, c, bytes);
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return c;
}

export async function manifestUrl(app: FastifyInstance, set: Pick<CreateSetResponse, 'id' | 'ticket'>, size: number): Promise<SetManifestUrlResponse> {
  const res = await caller(app)('POST', `/api/sets/${set.id}/manifest`, { ticket: set.ticket, size });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Asks for the manifest's URL and PUTs these bytes (or `size` random ones). */
export async function putManifest(app: FastifyInstance, set: CreateSetResponse, bytes: Uint8Array<ArrayBuffer> | number = 500): Promise<Uint8Array> {
  const body = typeof bytes === 'number' ? new Uint8Array(randomBytes(bytes)) : bytes;
  const { url, headers } = await manifestUrl(app, set, body.byteLength);
  expect((await fetch(url, { method: 'PUT', body, headers })).status).toBe(200);
  return body;
}

export const completeSet = (app: FastifyInstance, set: Pick<CreateSetResponse, 'id' | 'ticket'>, blobs: string[]) =>
  caller(app)('POST', `/api/sets/${set.id}/complete`, { ticket: set.ticket, blobs });

/** A complete set of blobs of these sizes, with its manifest. */
export async function completedSet(app: FastifyInstance, sizes: number[] = [1000], body: CreateSetBody = {}) {
  const set = await createSet(app, body);
  const blobs = [];
  for (const size of sizes) blobs.push(await sendBlob(app, set, size));
  await putManifest(app, set);
  const done = await completeSet(
    app,
    set,
    blobs.map((b) => b.id),
  );
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return { set, blobs };
}

/** Every key in the bucket under the prefix, for "nothing was lost or created". */
export async function bucketKeys(h: SetHarness): Promise<string[]> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const { s3Client } = await import('../../../server/s3-client.ts');
  const client = s3Client(h.s3.settings, h.s3.settings.endpoint);
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const out = await client.send(new ListObjectsV2Command({ Bucket: h.s3.settings.bucket, Prefix: 'cipherdrop/', ContinuationToken }));
    keys.push(...(out.Contents ?? []).map((o) => o.Key ?? ''));
    ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys.sort();
}

export const setKeys = async (h: SetHarness, setId: string) => (await bucketKeys(h)).filter((k) => k.includes(setId));
