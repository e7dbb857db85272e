/** Every endpoint's contract with a stub store: validation, error shape, headers, no leaks. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { safeEqual } from '../../../server/access.ts';
import { buildApp } from '../../../server/app.ts';
import { ConfigError, loadConfig, openAccess, openLimits } from '../../../server/config.ts';
import { ApiError } from '../../../server/errors.ts';
import type { CompletedPart, Storage } from '../../../server/storage.ts';

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const EXPIRED = 'EEEEEEEEEEEEEEEEEEEEEE';
const calls: string[] = [];
/** Objects the stub store holds, by `id/role`: a meta object is there once created; Complete adds the data object. */
const objects = new Map<string, number>([
  [`${ID}/data`, 100],
  [`${ID}/meta`, 100],
]);
/** The declared body of a one-part upload of 10 bytes (contract/layout.ts). */
const SMALL = { size: 10, partCount: 1, partSize: 0, headerSize: 0, metaSize: 50 };
/** Three 5 MiB parts and a 10-byte last one. */
const MIB5 = 5 * 1024 * 1024;
const FOUR = { size: 3 * MIB5 + 10, partCount: 4, partSize: MIB5, headerSize: 0, metaSize: 50 };

const storage: Storage = {
  publicOrigin: 'http://s3.test:9000',
  async createUpload(id, expiresAt) {
    calls.push(`create ${id} ${expiresAt}`);
    return { uploadId: 'upload-1' };
  },
  customerKeys: false,
  presignPart: async (id, uploadId, n, length, checksum) =>
    `http://s3.test:9000/b/${id}/data?uploadId=${uploadId}&partNumber=${n}&length=${length}&signed=${checksum ?? ''}`,
  presignMetaPut: async (id, length) => {
    objects.set(`${id}/meta`, length);
    return { url: `http://s3.test:9000/b/${id}/meta?length=${length}`, headers: {} };
  },
  async complete(id: string, uploadId: string, parts: CompletedPart[]) {
    calls.push(`complete ${id} ${uploadId} ${parts.length}`);
    if (uploadId === 'gone') throw new ApiError('UploadNotFound', 'No such upload');
    if (uploadId === 'explode') throw new Error('secret internal detail at /srv/x.ts:12');
    objects.set(`${id}/data`, uploadId === 'short' ? 1 : parts.length === 1 ? SMALL.size : FOUR.size);
  },
  async listParts(id, uploadId) {
    calls.push(`listParts ${id} ${uploadId}`);
    return uploadId === 'listed' ? [{ partNumber: 1, etag: '"e1"', size: 5 }] : null;
  },
  partChecksum: 'sha256',
  abort: async () => true,
  remove: async (id, role) => void objects.delete(`${id}/${role}`),
  stat: async (id, role) => {
    if (id === EXPIRED) return { size: 100, expiresAt: Date.now() - 1, customerKey: false, modifiedAt: null };
    const size = objects.get(`${id}/${role}`);
    return size === undefined ? null : { size, expiresAt: null, customerKey: false, modifiedAt: null };
  },
  presignGet: async (id, role) => `http://s3.test:9000/b/${id}/${role}?sig`,
  async *listIds() {},
  listUnfinished: async () => null,
};

/** One owner secret for every app here, so a ticket from one is good on the others. */
const ACCESS = openAccess();
let app: FastifyInstance;
beforeAll(async () => {
  app = await buildApp({ access: ACCESS, limits: openLimits(), storage, presignExpiresSeconds: 60 });
});

async function send(method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const res = await app.inject({ method, url, payload: payload as string, headers });
  return { status: res.statusCode, body: res.body ? res.json() : null, headers: res.headers };
}

/** A fresh upload on `target`: its id, ticket and owner token. */
async function created(target: FastifyInstance = app, body: object = FOUR, headers: Record<string, string> = {}) {
  const res = await target.inject({ method: 'POST', url: '/api/uploads', payload: body, headers });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; ticket: string; ownerToken: string };
}

describe('POST /api/uploads', () => {
  it('creates an upload with a server-chosen 128-bit id', async () => {
    const a = await send('POST', '/api/uploads', SMALL);
    const b = await send('POST', '/api/uploads', SMALL);
    expect(a.status).toBe(201);
    expect(a.body.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a.body.id).not.toBe(b.body.id);
    expect(a.body.metaUrl).toContain(`${a.body.id}/meta`);
    await send('POST', '/api/uploads', { ...SMALL, expiresInSeconds: 3600 });
    const expiry = Number(calls.at(-1)?.split(' ')[2]);
    expect(Math.abs(expiry - (Date.now() + 3600_000))).toBeLessThan(5000);
  });

  const bad: [string, unknown][] = [
    ['negative size', { ...SMALL, size: -1 }],
    ['fractional size', { ...SMALL, size: 1.5 }],
    ['string size', { ...SMALL, size: '10' }],
    ['huge size', { ...SMALL, size: 1e300 }],
    ['zero parts', { ...SMALL, partCount: 0 }],
    ['too many parts', { ...SMALL, partCount: 10_001 }],
    ['parts too small', { ...SMALL, size: 6 * 1024 * 1024, partCount: 3, partSize: 2 * 1024 * 1024 }],
    ['parts adding up to more than the size', { ...FOUR, size: 3 * MIB5 }],
    ['a last part larger than S3 allows', { ...FOUR, size: 6 * 1024 ** 3 }],
    ['no meta size', { size: 10, partCount: 1, partSize: 0, headerSize: 0 }],
    ['a meta object over 64 KiB', { ...SMALL, metaSize: 64 * 1024 + 1 }],
    ['client-chosen key', { ...SMALL, key: '../other' }],
    ['expiry too short', { ...SMALL, expiresInSeconds: 5 }],
    ['expiry too long', { ...SMALL, expiresInSeconds: 10 * 365 * 24 * 3600 }],
    ['missing fields', {}],
    ['an array', [1, 2]],
  ];
  for (const [what, body] of bad) {
    it(`refuses ${what} with 400 JSON`, async () => {
      const res = await send('POST', '/api/uploads', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('BadRequest');
      expect(typeof res.body.error.message).toBe('string');
    });
  }

  it('refuses malformed JSON, empty bodies and other content types', async () => {
    expect((await send('POST', '/api/uploads', '{"size":', { 'content-type': 'application/json' })).body.error.code).toBe('BadRequest');
    expect((await send('POST', '/api/uploads', '', { 'content-type': 'application/json' })).status).toBe(400);
    const text = await send('POST', '/api/uploads', 'size=1', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('UnsupportedMediaType');
  });

  it('refuses oversized bodies with 413', async () => {
    const res = await send('POST', '/api/uploads', JSON.stringify({ ...SMALL, pad: 'x'.repeat(2 * 1024 * 1024) }), {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PayloadTooLarge');
  });
});

describe('ids in paths', () => {
  for (const id of ['../x', '%2e%2e', '..%2Fmeta', 'short', `${ID}A`, `${ID.slice(1)}/`, 'AAAAAAAAAAAAAAAAAAAAA$']) {
    it(`refuses the id ${JSON.stringify(id)} without touching the store`, async () => {
      const before = calls.length;
      const res = await send('GET', `/api/files/${id}`);
      expect([400, 404]).toContain(res.status);
      expect(res.body.error.code).toMatch(/BadRequest|NotFound/);
      const parts = await send('POST', `/api/uploads/${id}/complete`, { uploadId: 'u', parts: [{ partNumber: 1, etag: '"a"' }] });
      expect([400, 404]).toContain(parts.status);
      const listed = await send('POST', `/api/uploads/${id}/uploaded`, { uploadId: 'u' });
      expect([400, 404]).toContain(listed.status);
      expect(calls.length).toBe(before);
    });
  }
});

describe('parts already uploaded (resume)', () => {
  it('lists what the store holds, or says it cannot', async () => {
    const { id, ticket } = await created();
    const listed = await send('POST', `/api/uploads/${id}/uploaded`, { ticket, uploadId: 'listed' });
    expect([listed.status, listed.body]).toEqual([200, { supported: true, parts: [{ partNumber: 1, etag: '"e1"', size: 5 }] }]);
    const unsupported = await send('POST', `/api/uploads/${id}/uploaded`, { ticket, uploadId: 'u' });
    expect([unsupported.status, unsupported.body]).toEqual([200, { supported: false, parts: [] }]);
  });

  it('refuses a missing or malformed upload id or ticket, and unknown fields', async () => {
    const { id, ticket } = await created();
    for (const body of [
      {},
      { ticket, uploadId: 5 },
      { ticket, uploadId: '' },
      { ticket, uploadId: 'u', extra: 1 },
      { uploadId: 'u' },
      { ticket: 'x', uploadId: 'u' },
    ]) {
      const res = await send('POST', `/api/uploads/${id}/uploaded`, body);
      expect([res.status, res.body.error.code], JSON.stringify(body)).toEqual([400, 'BadRequest']);
    }
  });
});

describe('part URLs and completion', () => {
  const SHA = (c: string) => `${c.repeat(43)}=`;
  let id: string;
  let ticket: string;
  beforeAll(async () => {
    ({ id, ticket } = await created());
  });
  it('signs a batch of part URLs, each bound to its exact size and with its checksum as a header the PUT must send', async () => {
    const checksums = [SHA('a'), SHA('b'), SHA('c'), SHA('d')];
    const res = await send('POST', `/api/uploads/${id}/parts`, { ticket, uploadId: 'u', partNumbers: [1, 2, 3, 4], checksums });
    expect(res.status).toBe(200);
    expect(res.body.urls).toEqual(
      [1, 2, 3, 4].map((n, i) => ({
        partNumber: n,
        url: `http://s3.test:9000/b/${id}/data?uploadId=u&partNumber=${n}&length=${n < 4 ? MIB5 : 10}&signed=${checksums[i]}`,
        headers: { 'x-amz-checksum-sha256': checksums[i] },
      })),
    );
  });

  it('refuses part URLs without checksums, with too few or too many, or with malformed ones (400 BadChecksum)', async () => {
    for (const body of [
      { ticket, uploadId: 'u', partNumbers: [1, 2] },
      { ticket, uploadId: 'u', partNumbers: [1, 2], checksums: [SHA('a')] },
      { ticket, uploadId: 'u', partNumbers: [1], checksums: [SHA('a'), SHA('b')] },
      { ticket, uploadId: 'u', partNumbers: [1], checksums: ['not base64 at all'] },
      // an MD5-sized digest where the server signs SHA-256
      { ticket, uploadId: 'u', partNumbers: [1], checksums: [`${'a'.repeat(22)}==`] },
    ]) {
      const res = await send('POST', `/api/uploads/${id}/parts`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('BadChecksum');
    }
    // Longer than any digest: refused by the schema before anything else looks at it.
    const long = await send('POST', `/api/uploads/${id}/parts`, { ticket, uploadId: 'u', partNumbers: [1], checksums: ['A'.repeat(45)] });
    expect([long.status, long.body.error.code]).toEqual([400, 'BadRequest']);
  });

  it('without PART_CHECKSUM, parts are signed in batches and checksums are refused', async () => {
    const plain = await buildApp({ access: ACCESS, limits: openLimits(), storage: { ...storage, partChecksum: null }, presignExpiresSeconds: 60 });
    try {
      const ok = await plain.inject({ method: 'POST', url: `/api/uploads/${id}/parts`, payload: { ticket, uploadId: 'u', partNumbers: [1, 2] } });
      expect(ok.json().urls.map((u: { headers?: unknown }) => u.headers)).toEqual([undefined, undefined]);
      const refused = await plain.inject({
        method: 'POST',
        url: `/api/uploads/${id}/parts`,
        payload: { ticket, uploadId: 'u', partNumbers: [1], checksums: [SHA('a')] },
      });
      expect([refused.statusCode, refused.json().error.code]).toEqual([400, 'BadChecksum']);
      const fresh = await plain.inject({ method: 'POST', url: '/api/uploads', payload: SMALL });
      expect(fresh.json().partChecksum).toBeNull();
    } finally {
      await plain.close();
    }
  });

  it('refuses batches that are empty, too large, repeated or out of range', async () => {
    for (const partNumbers of [[], Array.from({ length: 101 }, (_, i) => i + 1), [1, 1], [0], [10_001]]) {
      expect((await send('POST', `/api/uploads/${id}/parts`, { ticket, uploadId: 'u', partNumbers })).status).toBe(400);
    }
  });

  it('completes only the contiguous, ordered list of exactly the declared parts, once', async () => {
    const all = [1, 2, 3, 4].map((n) => ({ partNumber: n, etag: `"e${n}"` }));
    for (const parts of [
      [{ partNumber: 2, etag: '"a"' }],
      [
        { partNumber: 1, etag: '"a"' },
        { partNumber: 3, etag: '"b"' },
      ],
      [{ partNumber: 1, etag: 'has space' }],
      [{ partNumber: 1 }],
      all.slice(0, 3),
      [...all, { partNumber: 5, etag: '"e5"' }],
    ]) {
      const res = await send('POST', `/api/uploads/${id}/complete`, { ticket, uploadId: 'u', parts });
      expect(res.status, JSON.stringify(parts)).toBe(400);
    }
    expect(objects.has(`${id}/data`)).toBe(false);
    const ok = await send('POST', `/api/uploads/${id}/complete`, { ticket, uploadId: 'u', parts: all });
    expect(ok.status).toBe(200);
    const again = await send('POST', `/api/uploads/${id}/complete`, { ticket, uploadId: 'u', parts: all });
    expect([again.status, again.body.error.code]).toEqual([409, 'AlreadyComplete']);
  });

  it('maps store errors to 4xx codes and hides 5xx details', async () => {
    const small = await created(app, SMALL);
    const one = { ticket: small.ticket, parts: [{ partNumber: 1, etag: '"a"' }] };
    const gone = await send('POST', `/api/uploads/${small.id}/complete`, { ...one, uploadId: 'gone' });
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('UploadNotFound');
    const boom = await send('POST', `/api/uploads/${small.id}/complete`, { ...one, uploadId: 'explode' });
    expect(boom.status).toBe(500);
    expect(boom.body.error.code).toBe('Internal');
    expect(JSON.stringify(boom.body)).not.toContain('secret internal detail');
  });
});

describe('files and headers', () => {
  it('gives presigned GET URLs for a stored file and 404 JSON for an unknown one', async () => {
    const ok = await send('GET', `/api/files/${ID}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ size: 100, expiresIn: 60 });
    const expired = await send('GET', `/api/files/${EXPIRED}`);
    expect(expired.status).toBe(410);
    expect(expired.body.error.code).toBe('Expired');
    const missing = await send('GET', '/api/files/BBBBBBBBBBBBBBBBBBBBBB');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NotFound');
  });

  it('sends the security headers on every response, errors included', async () => {
    for (const res of [await send('GET', '/api/health'), await send('GET', '/nope'), await send('POST', '/api/uploads', {})]) {
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self';");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('wasm-unsafe-eval');
      expect(csp).toContain("connect-src 'self' http://s3.test:9000");
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});

it('allows WebAssembly in the CSP only when MD5 is needed (part checksums or SSE-C keys, hash-wasm), and never inline script', async () => {
  const sseC = await buildApp({
    access: ACCESS,
    limits: openLimits(),
    storage: { ...storage, partChecksum: null, customerKeys: true },
    presignExpiresSeconds: 60,
  });
  try {
    const csp = String((await sseC.inject({ method: 'GET', url: '/api/health' })).headers['content-security-policy']);
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval';");
  } finally {
    await sseC.close();
  }
  const md5 = await buildApp({ access: ACCESS, limits: openLimits(), storage: { ...storage, partChecksum: 'md5' }, presignExpiresSeconds: 60 });
  try {
    const csp = String((await md5.inject({ method: 'GET', url: '/api/health' })).headers['content-security-policy']);
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval';");
    expect(csp).not.toContain('unsafe-inline');
    const { id, ticket } = await created(md5);
    const signed = await md5.inject({
      method: 'POST',
      url: `/api/uploads/${id}/parts`,
      payload: { ticket, uploadId: 'u', partNumbers: [1], checksums: ['AAAAAAAAAAAAAAAAAAAAAA=='] },
    });
    expect(signed.json().urls[0].headers).toEqual({ 'content-md5': 'AAAAAAAAAAAAAAAAAAAAAA==' });
  } finally {
    await md5.close();
  }
});

describe('access control', () => {
  const TOKEN = 'upload-token-0123456789abcdef';
  const removed: string[] = [];
  let locked: FastifyInstance;
  beforeAll(async () => {
    locked = await buildApp({
      access: openAccess({ openUploads: false, uploadTokens: [TOKEN, 'second-token-0123456789'], maxFileSize: 1000 }),
      limits: openLimits({ rateLimitPerMinute: 30 }),
      storage: { ...storage, remove: async (id, role) => void removed.push(`${id}/${role}`) },
      presignExpiresSeconds: 60,
    });
  });
  const post = (url: string, payload: unknown, authorization?: string) =>
    locked.inject({ method: 'POST', url, payload: payload as object, headers: authorization ? { authorization } : {} });

  it('refuses uploads without a token (401) or with a wrong one (403), on every upload route', async () => {
    const { id, ticket, ownerToken } = await created(locked, SMALL, { authorization: `Bearer ${TOKEN}` });
    for (const [url, body] of [
      ['/api/uploads', SMALL],
      [`/api/uploads/${id}/parts`, { ticket, uploadId: 'u', partNumbers: [1] }],
      [`/api/uploads/${id}/complete`, { ticket, uploadId: 'u', parts: [{ partNumber: 1, etag: '"a"' }] }],
      [`/api/uploads/${id}/abort`, { ownerToken, uploadId: 'u' }],
      [`/api/uploads/${id}/uploaded`, { ticket, uploadId: 'u' }],
    ] as const) {
      const none = await post(url, body);
      expect(none.statusCode, url).toBe(401);
      expect(none.json().error.code).toBe('Unauthorized');
      const wrong = await post(url, body, 'Bearer upload-token-0123456789abcdeX');
      expect(wrong.statusCode, url).toBe(403);
      expect(wrong.json().error.code).toBe('Forbidden');
    }
    expect((await post('/api/uploads', SMALL, `Bearer ${TOKEN}`)).statusCode).toBe(201);
    expect((await post('/api/uploads', SMALL, 'Bearer second-token-0123456789')).statusCode).toBe(201);
  });

  it('refuses files above the configured maximum with 413', async () => {
    const res = await post('/api/uploads', { ...SMALL, size: 1001 }, `Bearer ${TOKEN}`);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PayloadTooLarge');
  });

  it('deletes only with the owner token it handed out', async () => {
    const { id, ownerToken } = (await post('/api/uploads', SMALL, `Bearer ${TOKEN}`)).json();
    removed.length = 0;
    expect(ownerToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // One character changed (never to itself: a token ending in "A" made this a 1-in-64 flake).
    const wrong = await post(`/api/files/${id}/delete`, { ownerToken: `${ownerToken.slice(0, -1)}${ownerToken.endsWith('A') ? 'B' : 'A'}` });
    expect(wrong.statusCode).toBe(403);
    expect(removed).toEqual([]);
    const other = (await post('/api/uploads', SMALL, `Bearer ${TOKEN}`)).json();
    expect((await post(`/api/files/${id}/delete`, { ownerToken: other.ownerToken })).statusCode).toBe(403);
    const ok = await post(`/api/files/${id}/delete`, { ownerToken });
    expect(ok.statusCode).toBe(200);
    expect(removed.sort()).toEqual([`${id}/data`, `${id}/meta`]);
  });

  it('rate-limits each client with a 429 JSON error that still carries the security headers', async () => {
    let last = await locked.inject({ method: 'GET', url: '/api/health' });
    for (let i = 0; i < 40 && last.statusCode !== 429; i++) last = await locked.inject({ method: 'GET', url: '/api/health' });
    expect(last.statusCode).toBe(429);
    expect(last.json().error.code).toBe('RateLimited');
    expect(last.headers['content-security-policy']).toContain("default-src 'self'");
  });
});

describe('configuration', () => {
  it('PART_CHECKSUM is off unless asked for, and only sha256, md5 or none', () => {
    const bucket = { S3_BUCKET: 'b', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', OPEN_UPLOADS: 'true' };
    expect(loadConfig(bucket).s3?.partChecksum).toBeNull();
    expect(loadConfig({ ...bucket, PART_CHECKSUM: 'sha256' }).s3?.partChecksum).toBe('sha256');
    expect(loadConfig({ ...bucket, PART_CHECKSUM: 'md5' }).s3?.partChecksum).toBe('md5');
    expect(loadConfig({ ...bucket, PART_CHECKSUM: 'none' }).s3?.partChecksum).toBeNull();
    expect(() => loadConfig({ ...bucket, PART_CHECKSUM: 'crc32' })).toThrow(/PART_CHECKSUM/);
  });

  it('uploads are open on the embedded store, and need tokens or an explicit OPEN_UPLOADS on a real bucket', () => {
    expect(loadConfig({}).access.openUploads).toBe(true);
    const bucket = { S3_BUCKET: 'b', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' };
    expect(() => loadConfig(bucket)).toThrow(ConfigError);
    expect(loadConfig({ ...bucket, OPEN_UPLOADS: 'true' }).access.openUploads).toBe(true);
    const locked = loadConfig({ ...bucket, UPLOAD_TOKENS: 'aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb' }).access;
    expect(locked).toMatchObject({ openUploads: false, uploadTokens: ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb'] });
    expect(() => loadConfig({ ...bucket, UPLOAD_TOKENS: 'short' })).toThrow(/16 characters/);
    expect(() => loadConfig({ OWNER_SECRET: 'too-short' })).toThrow(/OWNER_SECRET/);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
  });

  it('publishes only whether uploads are open and the abuse contact', async () => {
    const res = await send('GET', '/api/config');
    expect(res.body).toEqual({ openUploads: true, abuseContact: null });
    expect(loadConfig({ ABUSE_CONTACT: 'mailto:abuse@example.com' }).access.abuseContact).toBe('mailto:abuse@example.com');
    expect(() => loadConfig({ ABUSE_CONTACT: 'javascript:alert(1)' })).toThrow(/ABUSE_CONTACT/);
  });

  it('compares tokens in constant time over digests', () => {
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'b')).toBe(false);
    expect(safeEqual('short', 'a much longer token')).toBe(false);
  });
});

describe('static files', () => {
  it('caches hashed assets for good, but revalidates worker scripts (a worker runs under its own response CSP)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-static-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html>');
    writeFileSync(path.join(dir, 'assets', 'main-abc123.js'), 'export {}');
    writeFileSync(path.join(dir, 'assets', 'crypto.worker-abc123.js'), 'export {}');
    const served = await buildApp({
      access: openAccess(),
      limits: openLimits(),
      storage: { ...storage, partChecksum: 'md5' },
      presignExpiresSeconds: 60,
      staticDir: dir,
    });
    try {
      const main = await served.inject({ method: 'GET', url: '/assets/main-abc123.js' });
      expect(main.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      const worker = await served.inject({ method: 'GET', url: '/assets/crypto.worker-abc123.js' });
      expect(worker.headers['cache-control']).toBe('no-cache');
      expect(String(worker.headers['content-security-policy'])).toContain("'wasm-unsafe-eval'");
      expect((await served.inject({ method: 'GET', url: '/' })).headers['cache-control']).toBe('no-cache');
    } finally {
      await served.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
