/**
 * Sets on the real embedded store (docs/SETS.md "API"): a set's life from creation to deletion,
 * blobs through the real upload API, the manifest, Complete, what recipients get, the sweeper,
 * quotas, and the client's methods (createApi) against the same server. Attacks: sets-attacks.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../server/app.ts';
import { openAccess, openLimits } from '../../../server/config.ts';
import { sweepSets } from '../../../server/sweeper.ts';
import { SSE_C_HEADERS } from '../../../src/contract/api.ts';
import type { SetInfoResponse } from '../../../src/contract/sets.ts';
import { TransferError } from '../../../src/errors.ts';
import { createApi } from '../../../src/transfer/api.ts';
import {
  bucketKeys,
  caller,
  completedSet,
  completeSet,
  createSet,
  declareBlob,
  finishBlob,
  putManifest,
  type SetHarness,
  sendBlob,
  setKeys,
  startBlob,
  startSetHarness,
} from './set-fixtures.ts';

const DAY = 24 * 3600 * 1000;
let h: SetHarness;
let call: ReturnType<typeof caller>;

beforeAll(async () => {
  h = await startSetHarness();
  call = caller(h.app);
}, 60_000);

afterAll(async () => h?.stop());

const bytesOf = async (url: string) => {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/octet-stream');
  expect(res.headers.get('content-disposition')).toBe('attachment');
  return new Uint8Array(await res.arrayBuffer());
};

describe('a set, created, filled, completed, read and deleted', () => {
  it('goes through its whole life', async () => {
    const set = await createSet(h.app, { expiresInSeconds: 3600 });
    expect(set.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(set.ownerToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(set.expiresAt).toBeGreaterThan(Date.now() + 3590_000);
    expect(set.resumableUntil).toBeGreaterThan(Date.now() + DAY - 60_000);

    // Two blobs through the real upload API: no meta object, the set's expiry, the set's deadline.
    const [one, two] = [new Uint8Array(1000).fill(1), new Uint8Array(2000).fill(2)];
    const first = await sendBlob(h.app, set, one);
    const second = await sendBlob(h.app, set, two);
    for (const c of [first, second]) {
      expect(c).not.toHaveProperty('metaUrl');
      expect(c).not.toHaveProperty('metaHeaders');
      expect([c.customerKey, c.expiresAt, c.resumableUntil]).toEqual([false, set.expiresAt, set.resumableUntil]);
    }
    // Not a set yet to anyone with its id.
    expect((await call('GET', `/api/sets/${set.id}`)).body.error.code).toBe('SetNotFound');

    const manifest = await putManifest(h.app, set, 700);
    const done = await completeSet(h.app, set, [first.id, second.id]);
    expect([done.status, done.body]).toEqual([200, { id: set.id, expiresAt: set.expiresAt }]);
    // Idempotent: a retry answers the same.
    expect((await completeSet(h.app, set, [first.id, second.id])).body).toEqual(done.body);

    const info = await call('GET', `/api/sets/${set.id}`);
    expect(info.status).toBe(200);
    const body = info.body as SetInfoResponse;
    expect(body).toMatchObject({ expiresAt: set.expiresAt, customerKey: false, expiresIn: 60, manifest: { size: 700 } });
    expect(body.blobs.map((b) => [b.id, b.size])).toEqual([
      [first.id, 1000],
      [second.id, 2000],
    ]);
    expect(await bytesOf(body.manifest.url)).toEqual(manifest);
    expect(await bytesOf(body.blobs[0].url)).toEqual(one);
    expect(await bytesOf(body.blobs[1].url)).toEqual(two);

    // A set's blobs are never files.
    for (const c of [first, second]) expect((await call('GET', `/api/files/${c.id}`)).status).toBe(404);

    expect((await call('POST', `/api/sets/${set.id}/delete`, { ownerToken: set.ownerToken })).body).toEqual({ deleted: true });
    expect(await setKeys(h, set.id)).toEqual([]);
    expect((await call('GET', `/api/sets/${set.id}`)).status).toBe(404);
    // Twice is fine.
    expect((await call('POST', `/api/sets/${set.id}/delete`, { ownerToken: set.ownerToken })).status).toBe(200);
  });

  it('removes the blobs Complete does not list, finished or not', async () => {
    const set = await createSet(h.app);
    const kept = await sendBlob(h.app, set);
    const dropped = await sendBlob(h.app, set);
    const unfinished = await startBlob(h.app, set);
    await putManifest(h.app, set);
    expect((await completeSet(h.app, set, [kept.id])).status).toBe(200);
    const keys = await setKeys(h, set.id);
    expect(keys.filter((k) => k.includes(dropped.id) || k.includes(unfinished.id))).toEqual([]);
    expect(keys.some((k) => k.endsWith(`blobs/${kept.id}/data`))).toBe(true);
    // The unfinished one can no longer complete, and leaves nothing.
    const late = await finishBlob(h.app, unfinished);
    expect([late.status, late.body.error.code]).toEqual([409, 'AlreadyComplete']);
    expect((await setKeys(h, set.id)).filter((k) => k.includes(unfinished.id))).toEqual([]);
    expect(((await call('GET', `/api/sets/${set.id}`)).body as SetInfoResponse).blobs.map((b) => b.id)).toEqual([kept.id]);
  });

  it('lets the manifest be PUT again until the set is complete, then takes no more', async () => {
    const set = await createSet(h.app);
    const blob = await sendBlob(h.app, set);
    await putManifest(h.app, set, 300);
    const final = await putManifest(h.app, set, 400);
    expect((await completeSet(h.app, set, [blob.id])).status).toBe(200);
    const info = (await call('GET', `/api/sets/${set.id}`)).body as SetInfoResponse;
    expect(info.manifest.size).toBe(400);
    expect(await bytesOf(info.manifest.url)).toEqual(final);
    const again = await call('POST', `/api/sets/${set.id}/manifest`, { ticket: set.ticket, size: 10 });
    expect([again.status, again.body.error.code]).toEqual([409, 'AlreadyComplete']);
    const more = await call('POST', '/api/uploads', declareBlob(10, set));
    expect([more.status, more.body.error.code]).toEqual([409, 'AlreadyComplete']);
  });

  it('lets a blob upload be aborted with its own owner token and ticket, which gives its slot back', async () => {
    const set = await createSet(h.app);
    const c = await startBlob(h.app, set);
    const aborted = await call('POST', `/api/uploads/${c.id}/abort`, { ownerToken: c.ownerToken, uploadId: c.uploadId, ticket: c.ticket });
    expect(aborted.status).toBe(200);
    expect((await setKeys(h, set.id)).filter((k) => k.includes(c.id))).toEqual([]);
    const late = await finishBlob(h.app, c);
    expect([late.status, late.body.error.code]).toEqual([404, 'UploadNotFound']);
  });
});

describe('under SSE-C', () => {
  it('blobs are created by the browser and every store request of the set carries the customer key', async () => {
    const ssec = await startSetHarness({ sse: { mode: 'sse-c' } });
    try {
      const key = randomBytes(32);
      const keyHeaders = { [SSE_C_HEADERS.key]: key.toString('base64'), [SSE_C_HEADERS.keyMd5]: createHash('md5').update(key).digest('base64') };
      const set = await createSet(ssec.app);
      const c = await startBlob(ssec.app, set, 10);
      expect([c.uploadId, c.customerKey, c.create?.headers[SSE_C_HEADERS.algorithm]]).toEqual([null, true, 'AES256']);
      // The browser creates the multipart upload itself, with the key only it has.
      const made = await fetch(c.create?.url ?? '', { method: 'POST', headers: { ...c.create?.headers, ...keyHeaders } });
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await made.text())?.[1];
      expect(made.status).toBe(200);
      const signed = await caller(ssec.app)('POST', `/api/uploads/${c.id}/parts`, { ticket: c.ticket, uploadId, partNumbers: [1] });
      const put = await fetch(signed.body.urls[0].url, {
        method: 'PUT',
        body: new Uint8Array(10),
        headers: { [SSE_C_HEADERS.algorithm]: 'AES256', ...keyHeaders },
      });
      const parts = [{ partNumber: 1, etag: put.headers.get('etag') }];
      expect((await caller(ssec.app)('POST', `/api/uploads/${c.id}/complete`, { ticket: c.ticket, uploadId, parts })).status).toBe(200);
      const { url, headers } = (await caller(ssec.app)('POST', `/api/sets/${set.id}/manifest`, { ticket: set.ticket, size: 5 })).body;
      expect(headers[SSE_C_HEADERS.algorithm]).toBe('AES256');
      expect((await fetch(url, { method: 'PUT', body: 'hello', headers: { ...headers, ...keyHeaders } })).status).toBe(200);
      expect((await completeSet(ssec.app, set, [c.id])).status).toBe(200);
      const info = (await caller(ssec.app)('GET', `/api/sets/${set.id}`)).body as SetInfoResponse;
      expect(info.customerKey).toBe(true);
      for (const signedUrl of [info.manifest.url, info.blobs[0].url])
        expect(new URL(signedUrl).searchParams.get('X-Amz-SignedHeaders')).toContain(SSE_C_HEADERS.algorithm);
    } finally {
      await ssec.stop();
    }
  });
});

describe('quotas', () => {
  it('count a set as a file and its blobs by their bytes, against the token that made it too', async () => {
    const token = 'upload-token-set-quota-0123456789';
    const limited = await buildApp({
      access: openAccess({ openUploads: false, uploadTokens: [token], ownerSecret: 'set-tests-owner-secret-0123456789' }),
      limits: openLimits({ quotaFilesPerDay: 2, quotaBytesPerDay: 5000 }),
      storage: h.storage,
      presignExpiresSeconds: 60,
    });
    try {
      const as = (remoteAddress: string, url: string, payload: object) =>
        limited.inject({ method: 'POST', url, payload, remoteAddress, headers: { authorization: `Bearer ${token}` } });
      const made = await as('10.0.0.1', '/api/sets', {});
      expect(made.statusCode).toBe(201);
      const set = made.json();
      // Blobs are no files: three of them under a two-files quota, until the bytes run out.
      for (const from of ['10.0.0.2', '10.0.0.3', '10.0.0.4']) expect((await as(from, '/api/uploads', declareBlob(1500, set))).statusCode).toBe(201);
      const over = await as('10.0.0.5', '/api/uploads', declareBlob(1000, set));
      expect([over.statusCode, over.json().error.code]).toEqual([429, 'QuotaExceeded']);
      // The refused blob's slot went back.
      expect(await h.sets.slots(set.id)).toHaveLength(3);
      const unauthorized = await limited.inject({ method: 'POST', url: '/api/sets', payload: {} });
      expect(unauthorized.statusCode).toBe(401);
    } finally {
      await limited.close();
    }
  });
});

describe('the sweeper', () => {
  it('removes expired sets and sets never completed, and leaves complete ones whole', async () => {
    const { set: live, blobs } = await completedSet(h.app, [1000, 2000]);
    const { set: expiring } = await completedSet(h.app, [1000], { expiresInSeconds: 60 });
    const unfinished = await createSet(h.app);
    await sendBlob(h.app, unfinished);
    const liveKeys = await setKeys(h, live.id);

    const result = await sweepSets(h.sets, Date.now() + 2 * DAY);
    expect(result.expired).toContain(expiring.id);
    expect(result.abandoned).toContain(unfinished.id);
    expect(result.expired).not.toContain(live.id);
    expect(await setKeys(h, expiring.id)).toEqual([]);
    expect(await setKeys(h, unfinished.id)).toEqual([]);
    expect(await setKeys(h, live.id)).toEqual(liveKeys);
    const info = (await call('GET', `/api/sets/${live.id}`)).body as SetInfoResponse;
    expect(info.blobs.map((b) => b.id)).toEqual(blobs.map((b) => b.id));
    // The plain sweep leaves set folders alone too.
    const { sweep } = await import('../../../server/sweeper.ts');
    await sweep(h.storage, Date.now() + 2 * DAY);
    expect((await bucketKeys(h)).filter((k) => k.includes(live.id))).toEqual(liveKeys);
  });
});

describe('createApi', () => {
  it('drives every set route, with typed errors', async () => {
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const api = createApi({ base: `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}` });
    const set = await api.createSet({ expiresInSeconds: 600 });
    const upload = await api.createUpload(declareBlob(100, set));
    expect(upload.metaUrl).toBeUndefined();
    const [part] = (await api.partUrls({ id: upload.id, ticket: upload.ticket, uploadId: upload.uploadId ?? '' }, [1])).urls;
    const put = await fetch(part.url, { method: 'PUT', body: new Uint8Array(100) });
    await api.complete({ ...upload, uploadId: upload.uploadId ?? '' }, [{ partNumber: 1, etag: put.headers.get('etag') ?? '' }]);

    const early = await api.completeSet(set.id, { ticket: set.ticket, blobs: [upload.id] }).catch((e: unknown) => e);
    expect([(early as TransferError).status, (early as TransferError).apiCode]).toEqual([409, 'SetIncomplete']);
    const missing = await api.setInfo(set.id).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(TransferError);
    expect([(missing as TransferError).code, (missing as TransferError).apiCode]).toEqual(['NotFound', 'SetNotFound']);

    const { url, headers } = await api.setManifestUrl(set.id, { ticket: set.ticket, size: 50 });
    expect((await fetch(url, { method: 'PUT', body: new Uint8Array(50), headers })).status).toBe(200);
    expect(await api.completeSet(set.id, { ticket: set.ticket, blobs: [upload.id] })).toEqual({ id: set.id, expiresAt: set.expiresAt });
    const info = await api.setInfo(set.id);
    expect(info.blobs.map((b) => [b.id, b.size])).toEqual([[upload.id, 100]]);
    const wrong = await api.deleteSet(set.id, upload.ownerToken).catch((e: unknown) => e);
    expect([(wrong as TransferError).status, (wrong as TransferError).apiCode]).toEqual([403, 'Forbidden']);
    expect(await api.deleteSet(set.id, set.ownerToken)).toEqual({ deleted: true });
    const gone = await api.setInfo(set.id).catch((e: unknown) => e);
    expect((gone as TransferError).code).toBe('NotFound');
  });
});
