/**
 * File requests on the real embedded store (docs/REQUESTS.md "API"): a request's life from
 * creation to deletion, files sent to it through the real upload API, the sweeper, and the
 * client's methods (createApi) against the same server. The attacks are in requests-attacks.test.ts.
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepRequests } from '../../../server/sweeper.ts';
import type { InboxResponse, RequestInfoResponse } from '../../../src/contract/requests.ts';
import { TransferError } from '../../../src/errors.ts';
import { createApi } from '../../../src/transfer/api.ts';
import {
  blob,
  bucketKeys,
  caller,
  createRequest,
  finishSending,
  type Harness,
  requestBody,
  requestKey,
  send,
  spkiOf,
  startHarness,
  startSending,
} from './request-fixtures.ts';

const DAY = 24 * 3600 * 1000;
let h: Harness;
let spki: Buffer;
let call: ReturnType<typeof caller>;

beforeAll(async () => {
  spki = spkiOf(requestKey().publicKey);
  h = await startHarness();
  call = caller(h.app);
}, 60_000);

afterAll(async () => h?.stop());

describe('a file request, created, filled, read and deleted', () => {
  it('goes through its whole life', async () => {
    const [sealedPrivateKey, card] = [blob(3000), blob(300)];
    const created = await createRequest(h.app, spki, { maxFiles: 3, maxBytes: 10_000, expiresInSeconds: 3600, sealedPrivateKey, card });
    expect(created.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(created.ownerToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.fingerprint).toBe(createHash('sha256').update(spki).digest('base64url'));
    expect([created.maxFiles, created.maxBytes]).toEqual([3, 10_000]);
    expect(created.expiresAt).toBeGreaterThan(Date.now() + 3590_000);

    const info = await call('GET', `/api/requests/${created.id}`);
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({
      publicKey: spki.toString('base64url'),
      card,
      state: 'open',
      filesReceived: 0,
      bytesReceived: 0,
      filesLeft: 3,
      bytesLeft: 10_000,
    });

    // Two files, through the real upload API; never SSE-C, expiring with the request.
    const first = await send(h.app, created.id, 1000);
    const second = await send(h.app, created.id, 2000);
    for (const c of [first, second]) expect([c.customerKey, c.expiresAt]).toEqual([false, created.expiresAt]);
    const after = (await call('GET', `/api/requests/${created.id}`)).body as RequestInfoResponse;
    expect(after).toMatchObject({ filesReceived: 2, bytesReceived: 3000, filesLeft: 1, bytesLeft: 7000 });

    const inbox = await call('GET', `/api/requests/${created.id}/inbox`, undefined, created.ownerToken);
    expect(inbox.status).toBe(200);
    const box = inbox.body as InboxResponse;
    expect(box.state).toBe('open');
    expect([box.sealedPrivateKey, box.card, box.publicKey]).toEqual([sealedPrivateKey, card, spki.toString('base64url')]);
    expect(box.files.map((f) => [f.id, f.size]).sort()).toEqual(
      [
        [first.id, 1000],
        [second.id, 2000],
      ].sort(),
    );
    for (const f of box.files) expect(f.receivedAt).toEqual(expect.any(Number));

    const file = await call('GET', `/api/requests/${created.id}/files/${first.id}`, undefined, created.ownerToken);
    expect(file.status).toBe(200);
    expect(file.body).toMatchObject({ size: 1000, customerKey: false, expiresAt: created.expiresAt });
    const data = await fetch(file.body.dataUrl);
    expect([data.status, data.headers.get('content-type'), data.headers.get('content-disposition')]).toEqual([200, 'application/octet-stream', 'attachment']);
    expect((await data.arrayBuffer()).byteLength).toBe(1000);
    expect(await (await fetch(file.body.metaUrl)).text()).toBe('meta');

    const deleted = await call('POST', `/api/requests/${created.id}/files/${first.id}/delete`, {}, created.ownerToken);
    expect([deleted.status, deleted.body]).toEqual([200, { deleted: true }]);
    const fewer = (await call('GET', `/api/requests/${created.id}/inbox`, undefined, created.ownerToken)).body as InboxResponse;
    expect(fewer.files.map((f) => f.id)).toEqual([second.id]);
    // Its room is free again.
    expect((await call('GET', `/api/requests/${created.id}`)).body).toMatchObject({ filesLeft: 2, bytesLeft: 8000 });

    const closed = await call('POST', `/api/requests/${created.id}/close`, {}, created.ownerToken);
    expect([closed.status, closed.body]).toEqual([200, { closed: true }]);
    const refused = await call('POST', '/api/uploads', { size: 10, partCount: 1, partSize: 0, headerSize: 0, metaSize: 4, requestId: created.id });
    expect([refused.status, refused.body.error.code]).toEqual([410, 'RequestClosed']);
    expect((await call('GET', `/api/requests/${created.id}`)).body).toMatchObject({ state: 'closed', filesReceived: 1 });
    // Files stay after closing.
    expect((await call('GET', `/api/requests/${created.id}/files/${second.id}`, undefined, created.ownerToken)).status).toBe(200);

    const gone = await call('POST', `/api/requests/${created.id}/delete`, {}, created.ownerToken);
    expect([gone.status, gone.body]).toEqual([200, { deleted: true }]);
    expect((await call('GET', `/api/requests/${created.id}`)).body.error.code).toBe('RequestNotFound');
    expect((await bucketKeys(h)).filter((k) => k.includes(created.id))).toEqual([]);
  });

  it('defaults: a week, 100 files, no byte limit below the largest object', async () => {
    const created = await createRequest(h.app, spki);
    expect([created.maxFiles, created.maxBytes]).toEqual([100, 5 * 1024 ** 4]);
    expect(Math.abs(created.expiresAt - (Date.now() + 7 * DAY))).toBeLessThan(60_000);
  });

  it('a sender aborts its own unfinished upload, and its room is given back', async () => {
    const created = await createRequest(h.app, spki, { maxFiles: 1 });
    const c = await startSending(h.app, created.id);
    expect((await call('GET', `/api/requests/${created.id}`)).body.filesLeft).toBe(0);
    const aborted = await call('POST', `/api/uploads/${c.id}/abort`, { ownerToken: c.ownerToken, uploadId: c.uploadId, ticket: c.ticket });
    expect(aborted.status, JSON.stringify(aborted.body)).toBe(200);
    expect((await call('GET', `/api/requests/${created.id}`)).body.filesLeft).toBe(1);
    await send(h.app, created.id);
  });

  it('an upload to a request needs no upload token on a server that wants one for plain uploads', async () => {
    const { buildApp } = await import('../../../server/app.ts');
    const { openAccess, openLimits } = await import('../../../server/config.ts');
    const token = 'upload-token-0123456789abcdef';
    const locked = await buildApp({
      access: openAccess({ openUploads: false, uploadTokens: [token] }),
      limits: openLimits(),
      storage: h.storage,
      presignExpiresSeconds: 60,
    });
    try {
      const lockedCall = caller(locked);
      expect((await lockedCall('POST', '/api/requests', requestBody(spki))).status).toBe(401);
      const made = await lockedCall('POST', '/api/requests', requestBody(spki), token);
      expect(made.status).toBe(201);
      expect((await lockedCall('POST', '/api/uploads', { size: 10, partCount: 1, partSize: 0, headerSize: 0, metaSize: 4 })).status).toBe(401);
      const c = await startSending(locked, made.body.id);
      const done = await finishSending(locked, c);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
    } finally {
      await locked.close();
    }
  });
});

describe('quotas', () => {
  it('files sent to a request count against its creator’s token too, and a refused one gives its room back', async () => {
    const { buildApp } = await import('../../../server/app.ts');
    const { openAccess, openLimits } = await import('../../../server/config.ts');
    const token = 'upload-token-quota-0123456789';
    const limited = await buildApp({
      access: openAccess({ openUploads: false, uploadTokens: [token] }),
      limits: openLimits({ quotaFilesPerDay: 3 }),
      storage: h.storage,
      presignExpiresSeconds: 60,
    });
    try {
      const from = (remoteAddress: string, payload: object, authorization?: string) =>
        limited.inject({
          method: 'POST',
          url: remoteAddress === '10.0.0.1' ? '/api/requests' : '/api/uploads',
          payload,
          remoteAddress,
          headers: authorization ? { authorization } : {},
        });
      const made = await from('10.0.0.1', requestBody(spki), `Bearer ${token}`);
      expect(made.statusCode).toBe(201);
      const id = made.json().id as string;
      // Each sender is a network of its own; the token's count goes 1 (the request), 2, 3, then over.
      for (const sender of ['10.0.0.2', '10.0.0.3'])
        expect((await from(sender, { size: 10, partCount: 1, partSize: 0, headerSize: 0, metaSize: 4, requestId: id })).statusCode).toBe(201);
      const over = await from('10.0.0.4', { size: 10, partCount: 1, partSize: 0, headerSize: 0, metaSize: 4, requestId: id });
      expect([over.statusCode, over.json().error.code]).toEqual([429, 'QuotaExceeded']);
      expect((await call('GET', `/api/requests/${id}`)).body.filesLeft).toBe(98);
    } finally {
      await limited.close();
    }
  });
});

describe('the sweeper', () => {
  it('removes an expired request with every file, and gives back reservations of abandoned uploads', async () => {
    const live = await createRequest(h.app, spki, { maxFiles: 2 });
    await send(h.app, live.id);
    const abandoned = await startSending(h.app, live.id);
    const expiring = await createRequest(h.app, spki, { expiresInSeconds: 60 });
    await send(h.app, expiring.id);

    const result = await sweepRequests(h.requests, Date.now() + 2 * DAY);
    expect(result.expired).toContain(expiring.id);
    expect(result.released).toContain(`${live.id}/${abandoned.id}`);
    const keys = await bucketKeys(h);
    expect(keys.filter((k) => k.includes(expiring.id))).toEqual([]);
    expect(keys.filter((k) => k.includes(abandoned.id))).toEqual([]);
    const inbox = (await call('GET', `/api/requests/${live.id}/inbox`, undefined, live.ownerToken)).body as InboxResponse;
    expect(inbox.files).toHaveLength(1);
    expect((await call('GET', `/api/requests/${live.id}`)).body.filesLeft).toBe(1);
  });
});

describe('createApi', () => {
  it('drives every request route, with typed errors', async () => {
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const api = createApi({ base: `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}` });
    const created = await api.createRequest(requestBody(spki, { maxFiles: 1 }));
    expect((await api.getRequest(created.id)).state).toBe('open');
    const upload = await api.createUpload({ size: 100, partCount: 1, partSize: 0, headerSize: 0, metaSize: 4, requestId: created.id });
    expect(upload.customerKey).toBe(false);
    const full = await api.createUpload({ size: 100, partCount: 1, partSize: 0, headerSize: 0, metaSize: 4, requestId: created.id }).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(TransferError);
    expect([(full as TransferError).status, (full as TransferError).apiCode]).toEqual([413, 'RequestFull']);
    await api.abort({ id: upload.id, ticket: upload.ticket, uploadId: upload.uploadId ?? '', ownerToken: upload.ownerToken });
    expect((await api.inbox(created.id, created.ownerToken)).files).toEqual([]);
    const missing = await api.requestFile(created.id, upload.id, created.ownerToken).catch((e: unknown) => e);
    expect((missing as TransferError).apiCode).toBe('NotFound');
    const wrong = await api.inbox(created.id, blob(32)).catch((e: unknown) => e);
    expect([(wrong as TransferError).status, (wrong as TransferError).apiCode]).toEqual([403, 'Forbidden']);
    expect(await api.closeRequest(created.id, created.ownerToken)).toEqual({ closed: true });
    expect((await api.getRequest(created.id)).state).toBe('closed');
    expect(await api.deleteRequest(created.id, created.ownerToken)).toEqual({ deleted: true });
    const unknown = await api.getRequest(created.id).catch((e: unknown) => e);
    expect([(unknown as TransferError).status, (unknown as TransferError).apiCode]).toEqual([404, 'RequestNotFound']);
  });
});
