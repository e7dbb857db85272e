/**
 * File requests attacked, on the real embedded store: other requests' tokens and files, the
 * request's files through the plain file routes, limits raced and overrun, expired requests, keys
 * that are not RSA-4096, oversized blobs, path tricks, tickets carried across requests, bearer
 * tokens missing or forged. Each is refused with a clear 4xx JSON, and nothing is lost or made.
 */
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateRequestResponse, InboxResponse } from '../../../src/contract/requests.ts';
import {
  blob,
  bucketKeys,
  caller,
  createRequest,
  declare,
  finishSending,
  type Harness,
  type Reply,
  requestBody,
  requestKey,
  send,
  spkiOf,
  startHarness,
  startSending,
} from './request-fixtures.ts';

let h: Harness;
let spki: Buffer;
let call: ReturnType<typeof caller>;
let a: CreateRequestResponse;
let b: CreateRequestResponse;
let fileOfA: string;

const refused = (res: Reply, status: number, code: string) => {
  expect([res.status, res.body?.error?.code], JSON.stringify(res.body)).toEqual([status, code]);
  expect(res.body.error.message).toEqual(expect.any(String));
};
const inboxIds = async (r: CreateRequestResponse) =>
  ((await call('GET', `/api/requests/${r.id}/inbox`, undefined, r.ownerToken)).body as InboxResponse).files.map((f) => f.id);

beforeAll(async () => {
  spki = spkiOf(requestKey().publicKey);
  h = await startHarness();
  call = caller(h.app);
  a = await createRequest(h.app, spki);
  b = await createRequest(h.app, spki);
  fileOfA = (await send(h.app, a.id)).id;
}, 60_000);

afterAll(async () => h?.stop());

describe('owner routes', () => {
  const routes = (r: { id: string }, fileId: string) =>
    [
      ['GET', `/api/requests/${r.id}/inbox`],
      ['GET', `/api/requests/${r.id}/files/${fileId}`],
      ['POST', `/api/requests/${r.id}/files/${fileId}/delete`],
      ['POST', `/api/requests/${r.id}/close`],
      ['POST', `/api/requests/${r.id}/delete`],
    ] as const;

  it('refuse a missing or malformed bearer (401), a garbage one, another request’s or a file’s owner token (403)', async () => {
    const before = await bucketKeys(h);
    const upload = await startSending(h.app, b.id);
    for (const [method, url] of routes(a, fileOfA)) {
      const body = method === 'POST' ? {} : undefined;
      refused(await call(method, url, body), 401, 'Unauthorized');
      refused(await call(method, url, body, `Basic ${a.ownerToken}`), 401, 'Unauthorized');
      refused(await call(method, url, body, 'Bearer '), 401, 'Unauthorized');
      for (const token of [blob(32), b.ownerToken, upload.ownerToken, `${a.ownerToken}x`, a.ownerToken.slice(1)]) {
        refused(await call(method, url, body, token), 403, 'Forbidden');
      }
    }
    await call('POST', `/api/uploads/${upload.id}/abort`, { ownerToken: upload.ownerToken, uploadId: upload.uploadId, ticket: upload.ticket });
    expect(await bucketKeys(h)).toEqual(before);
    expect((await call('GET', `/api/requests/${a.id}`)).body.state).toBe('open');
  });

  it('a file of request A is not found under request B, even with B’s own token', async () => {
    refused(await call('GET', `/api/requests/${b.id}/files/${fileOfA}`, undefined, b.ownerToken), 404, 'NotFound');
    refused(await call('POST', `/api/requests/${b.id}/files/${fileOfA}/delete`, {}, b.ownerToken), 404, 'NotFound');
    expect(await inboxIds(a)).toEqual([fileOfA]);
  });

  it('an unknown request is 404 for its owner token too, and a deleted one stays gone', async () => {
    const gone = await createRequest(h.app, spki);
    await call('POST', `/api/requests/${gone.id}/delete`, {}, gone.ownerToken);
    refused(await call('GET', `/api/requests/${gone.id}/inbox`, undefined, gone.ownerToken), 404, 'RequestNotFound');
    refused(await call('POST', `/api/requests/${gone.id}/close`, {}, gone.ownerToken), 404, 'RequestNotFound');
    refused(await call('POST', '/api/uploads', declare(10, gone.id)), 404, 'RequestNotFound');
  });
});

describe('request files stay out of the plain file routes', () => {
  it('GET /api/files/:id is 404; deleting with the sender’s token is 403; abort never removes a complete file', async () => {
    const c = await send(h.app, a.id);
    refused(await call('GET', `/api/files/${c.id}`), 404, 'NotFound');
    refused(await call('POST', `/api/files/${c.id}/delete`, { ownerToken: c.ownerToken }), 403, 'Forbidden');
    // Without the ticket the token is checked as a plain file's: it is not one.
    refused(await call('POST', `/api/uploads/${c.id}/abort`, { ownerToken: c.ownerToken, uploadId: c.uploadId }), 403, 'Forbidden');
    const aborted = await call('POST', `/api/uploads/${c.id}/abort`, { ownerToken: c.ownerToken, uploadId: c.uploadId, ticket: c.ticket });
    expect(aborted.status).toBeLessThan(500);
    expect(await inboxIds(a)).toContain(c.id);
    expect((await call('GET', `/api/requests/${a.id}/files/${c.id}`, undefined, a.ownerToken)).status).toBe(200);
  });
});

describe('limits', () => {
  it('full by count: 413 RequestFull, nothing reserved', async () => {
    const r = await createRequest(h.app, spki, { maxFiles: 1 });
    await send(h.app, r.id);
    const before = await bucketKeys(h);
    refused(await call('POST', '/api/uploads', declare(10, r.id)), 413, 'RequestFull');
    expect(await bucketKeys(h)).toEqual(before);
  });

  it('full by bytes: the declared size counts at create; what still fits is taken', async () => {
    const r = await createRequest(h.app, spki, { maxBytes: 1500 });
    await startSending(h.app, r.id, 1000);
    refused(await call('POST', '/api/uploads', declare(1000, r.id)), 413, 'RequestFull');
    await startSending(h.app, r.id, 500);
    refused(await call('POST', '/api/uploads', declare(1, r.id)), 413, 'RequestFull');
  });

  it('two concurrent creates for the last slot: exactly one wins in one process', async () => {
    const r = await createRequest(h.app, spki, { maxFiles: 2 });
    await send(h.app, r.id);
    const results = await Promise.all([0, 1, 2].map(() => call('POST', '/api/uploads', declare(10, r.id))));
    expect(results.map((x) => x.status).sort()).toEqual([201, 413, 413]);
    expect((await call('GET', `/api/requests/${r.id}`)).body.filesLeft).toBe(0);
  });

  it('two processes racing for the last slot never both get it', async () => {
    const r = await createRequest(h.app, spki, { maxFiles: 1 });
    const results = await Promise.all([h.app, h.second, h.app, h.second].map((app) => caller(app)('POST', '/api/uploads', declare(10, r.id))));
    const won = results.filter((x) => x.status === 201);
    expect(won.length).toBeLessThanOrEqual(1);
    for (const x of results.filter((y) => y.status !== 201)) refused(x, 413, 'RequestFull');
    const held = (await h.requests.contents(r.id)).files.filter((f) => f.reserved !== null);
    expect(held.length).toBe(won.length);
  });

  it('an expired request takes no files (410) and its owner routes answer 410 until it is swept', async () => {
    const r = await createRequest(h.app, spki);
    const record = await h.requests.read(r.id);
    await h.requests.create({ ...(record as NonNullable<typeof record>), expiresAt: Date.now() - 1 });
    const before = await bucketKeys(h);
    refused(await call('POST', '/api/uploads', declare(10, r.id)), 410, 'RequestExpired');
    refused(await call('GET', `/api/requests/${r.id}/inbox`, undefined, r.ownerToken), 410, 'RequestExpired');
    expect((await call('GET', `/api/requests/${r.id}`)).body.state).toBe('expired');
    expect(await bucketKeys(h)).toEqual(before);
  });

  it('an upload into a request cannot set its own expiry', async () => {
    refused(await call('POST', '/api/uploads', { ...declare(10, a.id), expiresInSeconds: 3600 }), 400, 'BadRequest');
  });
});

describe('the request key and blobs', () => {
  const countRequests = async () => (await bucketKeys(h)).filter((k) => k.endsWith('/request.json')).length;

  it('refuses every public key but an RSA-4096 SPKI with e = 65537 (400 BadPublicKey), and makes nothing', async () => {
    const before = await countRequests();
    const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'der', type: 'spki' });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey.export({ format: 'der', type: 'spki' });
    const jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' });
    const e3 = createPublicKey({ key: { ...jwk, e: 'Aw' }, format: 'jwk' }).export({ format: 'der', type: 'spki' });
    const trailing = Buffer.concat([spki, Buffer.from([0])]);
    for (const [what, key] of Object.entries({ rsa2048, ec, pss, e3, trailing, garbage: randomBytes(550) })) {
      const res = await call('POST', '/api/requests', requestBody(key));
      expect([what, res.status, res.body.error.code]).toEqual([what, 400, 'BadPublicKey']);
    }
    expect(await countRequests()).toBe(before);
  });

  it('refuses oversized keys, sealed keys and cards, and non-base64url (400)', async () => {
    const before = await countRequests();
    const cases = [
      { publicKey: blob(1025) },
      { sealedPrivateKey: blob(8 * 1024 + 1) },
      { card: blob(8 * 1024 + 1) },
      { card: 'a+b/c=' },
      { card: '' },
      { maxFiles: 1001 },
      { maxFiles: 0 },
      { expiresInSeconds: 10 },
    ];
    for (const extra of cases) refused(await call('POST', '/api/requests', { ...requestBody(spki), ...extra }), 400, 'BadRequest');
    refused(await call('POST', '/api/requests', { ...requestBody(spki), extra: 1 }), 400, 'BadRequest');
    expect(await countRequests()).toBe(before);
    // At the limits exactly, it is accepted.
    await createRequest(h.app, spki, { sealedPrivateKey: blob(8 * 1024), card: blob(8 * 1024) });
  });
});

describe('ids and tickets', () => {
  it('path tricks in request and file ids are 400 or 404, never another object', async () => {
    const before = await bucketKeys(h);
    for (const id of ['..', '..%2F..%2Fcipherdrop', `${a.id}%2F..`, 'requests', `${a.id}x`, '%00', a.id.slice(1)]) {
      const res = await call('GET', `/api/requests/${id}/inbox`, undefined, a.ownerToken);
      expect([400, 403, 404], `${id}: ${JSON.stringify(res.body)}`).toContain(res.status);
      expect(res.body.error.code).toEqual(expect.any(String));
    }
    for (const fileId of ['..', '..%2Fdata', `${fileOfA}%2Fdata`, 'request.json', '..%2F..%2Frequest.json']) {
      // `..` is resolved by the router (no such route: 404); anything else fails the id's pattern.
      const res = await call('GET', `/api/requests/${a.id}/files/${fileId}`, undefined, a.ownerToken);
      expect([res.status, res.body.error.code], fileId).toEqual(fileId === '..' ? [404, 'NotFound'] : [400, 'BadRequest']);
    }
    for (const requestId of ['../x', `${a.id}/files`, '', 'requests'])
      refused(await call('POST', '/api/uploads', { ...declare(10), requestId }), 400, 'BadRequest');
    expect(await bucketKeys(h)).toEqual(before);
  });

  it('a ticket of request A completes nothing in request B, and cannot be moved there', async () => {
    const inA = await startSending(h.app, a.id);
    const inB = await startSending(h.app, b.id);
    const parts = [{ partNumber: 1, etag: '"x"' }];
    refused(await call('POST', `/api/uploads/${inB.id}/complete`, { ticket: inA.ticket, uploadId: inB.uploadId, parts }), 403, 'Forbidden');
    refused(await call('POST', `/api/uploads/${inA.id}/complete`, { ticket: inA.ticket, uploadId: inA.uploadId, parts, requestId: b.id }), 400, 'BadRequest');
    const [payload, mac] = inA.ticket.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const moved = `${Buffer.from(JSON.stringify({ ...claims, requestId: b.id })).toString('base64url')}.${mac}`;
    refused(await call('POST', `/api/uploads/${inA.id}/complete`, { ticket: moved, uploadId: inA.uploadId, parts }), 403, 'Forbidden');
    const plain = { ...claims };
    delete plain.requestId;
    const unbound = `${Buffer.from(JSON.stringify(plain)).toString('base64url')}.${mac}`;
    refused(await call('POST', `/api/uploads/${inA.id}/parts`, { ticket: unbound, uploadId: inA.uploadId, partNumbers: [1] }), 403, 'Forbidden');
    // Finished with its own ticket, the file lands in A, and B never sees it.
    expect((await finishSending(h.app, inA)).status).toBe(200);
    expect(await inboxIds(a)).toContain(inA.id);
    expect(await inboxIds(b)).not.toContain(inA.id);
  });

  it('an upload whose reservation the owner removed does not complete', async () => {
    const r = await createRequest(h.app, spki);
    const c = await startSending(h.app, r.id);
    await h.requests.removeFile(r.id, c.id);
    refused(await finishSending(h.app, c), 404, 'UploadNotFound');
    expect(await inboxIds(r)).toEqual([]);
    expect((await bucketKeys(h)).filter((k) => k.includes(c.id))).toEqual([]);
  });
});
