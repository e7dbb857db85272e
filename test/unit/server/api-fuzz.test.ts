/**
 * Property-based fuzz of every API route on the presign server, over the real embedded store:
 * random methods, paths, ids, headers and bodies — including genuine tickets and owner tokens (a
 * file's, a file request's, a set's and a set blob's) mixed with hostile values. Whatever arrives,
 * the answer is a 4xx with the API's JSON error shape and the security headers (or a 2xx for a
 * request that happens to be valid), never a 5xx or a hang; the store stays up, and no file
 * appears outside the data directory.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../../server/app.ts';
import { openAccess, openLimits } from '../../../server/config.ts';
import { type LocalS3, startLocalS3 } from '../../../server/local-s3.ts';
import { createStorage } from '../../../server/storage.ts';
import type { CreateFileUploadResponse, CreateUploadResponse } from '../../../src/contract/api.ts';
import type { CreateRequestResponse } from '../../../src/contract/requests.ts';
import type { CreateSetResponse } from '../../../src/contract/sets.ts';
import { requestBody, requestKey, spkiOf } from './request-fixtures.ts';
import { completedSet, declareBlob } from './set-fixtures.ts';

let root: string;
let s3: LocalS3;
let app: FastifyInstance;
let real: CreateFileUploadResponse;
let realRequest: CreateRequestResponse;
let sentToRequest: CreateFileUploadResponse;
/** a complete set (GET presigns), and a blob upload started in another, unfinished one */
let realSet: CreateSetResponse;
let openSet: CreateSetResponse;
let blobOfSet: CreateUploadResponse;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'cipherdrop-api-fuzz-'));
  s3 = await startLocalS3(path.join(root, 'data', 's3'));
  app = await buildApp({ access: openAccess(), limits: openLimits(), storage: createStorage(s3.settings, 'cipherdrop/', 60), presignExpiresSeconds: 60 });
  const res = await app.inject({ method: 'POST', url: '/api/uploads', payload: { size: 10, partCount: 1, partSize: 0, headerSize: 0, metaSize: 4 } });
  real = res.json();
  realRequest = (await app.inject({ method: 'POST', url: '/api/requests', payload: requestBody(spkiOf(requestKey().publicKey)) })).json();
  const sent = await app.inject({
    method: 'POST',
    url: '/api/uploads',
    payload: { size: 10, partCount: 1, partSize: 0, headerSize: 0, metaSize: 4, requestId: realRequest.id },
  });
  sentToRequest = sent.json();
  realSet = (await completedSet(app, [10])).set;
  openSet = (await app.inject({ method: 'POST', url: '/api/sets', payload: {} })).json();
  blobOfSet = (await app.inject({ method: 'POST', url: '/api/uploads', payload: declareBlob(10, openSet) })).json();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await s3?.stop();
  rmSync(root, { recursive: true, force: true });
});

const hostile = fc.constantFrom(
  '..',
  '../../../../tmp/x',
  '%2e%2e%2f',
  '\u0000',
  '\u202e',
  '/etc/passwd',
  'a'.repeat(3000),
  '{"$ne":null}',
  '__proto__',
  'constructor',
  '-1',
  '1e309',
  'NaN',
);
const idLike = fc.oneof(
  fc.constant(() => real.id),
  fc.constant(() => realRequest.id),
  fc.constant(() => sentToRequest.id),
  fc.constant(() => realSet.id),
  fc.constant(() => openSet.id),
  fc.constant(() => blobOfSet.id),
  fc.constant(() => 'AAAAAAAAAAAAAAAAAAAAAA'),
  hostile.map((s) => () => encodeURIComponent(s)),
  fc.string().map((s) => () => encodeURIComponent(s)),
);
const route = fc.constantFrom(
  '/api/uploads',
  '/api/uploads/:id/parts',
  '/api/uploads/:id/complete',
  '/api/uploads/:id/uploaded',
  '/api/uploads/:id/abort',
  '/api/files/:id',
  '/api/files/:id/delete',
  '/api/requests',
  '/api/requests/:id',
  '/api/requests/:id/inbox',
  '/api/requests/:id/files/:id',
  '/api/requests/:id/files/:id/delete',
  '/api/requests/:id/close',
  '/api/requests/:id/delete',
  '/api/sets',
  '/api/sets/:id',
  '/api/sets/:id/manifest',
  '/api/sets/:id/complete',
  '/api/sets/:id/delete',
  '/r/:id',
  '/i/:id',
  '/s/:id',
  '/api/config',
  '/api/health',
  '/d/:id',
  '/:id',
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    fc.double(),
    fc.string(),
    hostile,
    fc.constant(null),
    fc.boolean(),
    fc.constant(() => real.ticket),
    fc.constant(() => real.ownerToken),
    fc.constant(() => real.uploadId),
    fc.constant(() => realRequest.id),
    fc.constant(() => sentToRequest.ticket),
    fc.constant(() => sentToRequest.ownerToken),
    fc.constant(() => realSet.ticket),
    fc.constant(() => realSet.ownerToken),
    fc.constant(() => openSet.ticket),
    fc.constant(() => openSet.id),
    fc.constant(() => blobOfSet.ticket),
    fc.constant(() => blobOfSet.ownerToken),
    fc.constant(() => [blobOfSet.id]),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.string(),
        fc.constantFrom(
          'size',
          'partCount',
          'partSize',
          'headerSize',
          'metaSize',
          'ticket',
          'uploadId',
          'partNumbers',
          'parts',
          'ownerToken',
          'checksums',
          'requestId',
          'publicKey',
          'sealedPrivateKey',
          'card',
          'maxFiles',
          'maxBytes',
          'expiresInSeconds',
          'setId',
          'setTicket',
          'blobs',
          '__proto__',
        ),
      ),
      tie('v'),
      { maxKeys: 6 },
    ),
  ),
})).v;
const resolve = (v: unknown): unknown =>
  typeof v === 'function'
    ? (v as () => unknown)()
    : Array.isArray(v)
      ? v.map(resolve)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]))
        : v;

const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
  route,
  id: idLike,
  query: fc.option(
    fc.string().map((s) => `?${encodeURIComponent(s)}`),
    { nil: '' },
  ),
  body: fc.oneof(value, fc.string(), fc.constant(undefined)),
  contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined),
  host: fc.constantFrom('127.0.0.1:8080', 'localhost', 'attacker.example', '[::1]:1', undefined),
  authorization: fc.option(
    fc.oneof(
      fc.string(),
      fc.constant('Bearer x'),
      fc.constant(() => `Bearer ${realRequest.ownerToken}`),
    ),
    { nil: undefined },
  ),
});

it('every route answers any request with a 2xx or a hardened 4xx JSON, never a 5xx, and nothing escapes the data directory', async () => {
  const pid = s3.pid;
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const url = r.route.replaceAll(':id', r.id() as string) + r.query;
      const body = resolve(r.body);
      const headers: Record<string, string> = {};
      if (r.contentType) headers['content-type'] = r.contentType;
      if (r.host) headers.host = r.host;
      const authorization = resolve(r.authorization);
      if (typeof authorization === 'string' && authorization) headers.authorization = authorization;
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const res = await app.inject({ method: r.method as 'GET', url, headers, payload });
      expect(res.statusCode, `${r.method} ${url} ${payload?.slice(0, 200)}`).toBeLessThan(500);
      if (r.method !== 'HEAD') {
        expect(String(res.headers['content-security-policy'])).toContain("default-src 'self'");
        expect(res.headers['referrer-policy']).toBe('no-referrer');
      }
      if (res.statusCode >= 400 && r.method !== 'HEAD') {
        expect(res.json()).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
      }
    }),
    { numRuns: 400 },
  );
  expect(s3.pid).toBe(pid);
  expect(readdirSync(root)).toEqual(['data']);
  expect(readdirSync(path.join(root, 'data'))).toEqual(['s3']);
});
