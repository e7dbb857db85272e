/** Every endpoint's contract with a stub store: validation, error shape, headers, no leaks. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { safeEqual } from '../../server/access.ts';
import { buildApp } from '../../server/app.ts';
import { ConfigError, loadConfig, openAccess } from '../../server/config.ts';
import { ApiError } from '../../server/errors.ts';
import type { CompletedPart, Storage } from '../../server/storage.ts';

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const EXPIRED = 'EEEEEEEEEEEEEEEEEEEEEE';
const calls: string[] = [];

const storage: Storage = {
  publicOrigin: 'http://s3.test:9000',
  async createUpload(id, expiresAt) {
    calls.push(`create ${id} ${expiresAt}`);
    return { uploadId: 'upload-1' };
  },
  customerKeys: false,
  presignPart: async (id, uploadId, n, checksum) => `http://s3.test:9000/b/${id}/data?uploadId=${uploadId}&partNumber=${n}&signed=${checksum ?? ''}`,
  presignPut: async (id, role) => ({ url: `http://s3.test:9000/b/${id}/${role}`, headers: {} }),
  async complete(id: string, uploadId: string, parts: CompletedPart[]) {
    calls.push(`complete ${id} ${uploadId} ${parts.length}`);
    if (uploadId === 'gone') throw new ApiError('UploadNotFound', 'No such upload');
    if (uploadId === 'explode') throw new Error('secret internal detail at /srv/x.ts:12');
  },
  async listParts(id, uploadId) {
    calls.push(`listParts ${id} ${uploadId}`);
    return uploadId === 'listed' ? [{ partNumber: 1, etag: '"e1"', size: 5 }] : null;
  },
  partChecksum: 'sha256',
  abort: async () => true,
  remove: async () => {},
  stat: async (id) =>
    id === ID ? { size: 100, expiresAt: null, customerKey: false } : id === EXPIRED ? { size: 100, expiresAt: Date.now() - 1, customerKey: false } : null,
  presignGet: async (id, role) => `http://s3.test:9000/b/${id}/${role}?sig`,
  async *listIds() {},
};

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildApp({ access: openAccess(), storage, presignExpiresSeconds: 60 });
});

async function send(method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const res = await app.inject({ method, url, payload: payload as string, headers });
  return { status: res.statusCode, body: res.body ? res.json() : null, headers: res.headers };
}

describe('POST /api/uploads', () => {
  it('creates an upload with a server-chosen 128-bit id', async () => {
    const a = await send('POST', '/api/uploads', { size: 10, partCount: 1 });
    const b = await send('POST', '/api/uploads', { size: 10, partCount: 1 });
    expect(a.status).toBe(201);
    expect(a.body.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a.body.id).not.toBe(b.body.id);
    expect(a.body.metaUrl).toContain(`${a.body.id}/meta`);
    await send('POST', '/api/uploads', { size: 10, partCount: 1, expiresInSeconds: 3600 });
    const expiry = Number(calls.at(-1)?.split(' ')[2]);
    expect(Math.abs(expiry - (Date.now() + 3600_000))).toBeLessThan(5000);
  });

  const bad: [string, unknown][] = [
    ['negative size', { size: -1, partCount: 1 }],
    ['fractional size', { size: 1.5, partCount: 1 }],
    ['string size', { size: '10', partCount: 1 }],
    ['huge size', { size: 1e300, partCount: 1 }],
    ['zero parts', { size: 10, partCount: 0 }],
    ['too many parts', { size: 10, partCount: 10_001 }],
    ['parts too small', { size: 6 * 1024 * 1024, partCount: 3 }],
    ['client-chosen key', { size: 10, partCount: 1, key: '../other' }],
    ['expiry too short', { size: 10, partCount: 1, expiresInSeconds: 5 }],
    ['expiry too long', { size: 10, partCount: 1, expiresInSeconds: 10 * 365 * 24 * 3600 }],
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
    const res = await send('POST', '/api/uploads', JSON.stringify({ size: 1, partCount: 1, pad: 'x'.repeat(2 * 1024 * 1024) }), {
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
    const listed = await send('POST', `/api/uploads/${ID}/uploaded`, { uploadId: 'listed' });
    expect([listed.status, listed.body]).toEqual([200, { supported: true, parts: [{ partNumber: 1, etag: '"e1"', size: 5 }] }]);
    const unsupported = await send('POST', `/api/uploads/${ID}/uploaded`, { uploadId: 'u' });
    expect([unsupported.status, unsupported.body]).toEqual([200, { supported: false, parts: [] }]);
  });

  it('refuses a missing or malformed upload id, and unknown fields', async () => {
    for (const body of [{}, { uploadId: 5 }, { uploadId: '' }, { uploadId: 'u', extra: 1 }]) {
      const res = await send('POST', `/api/uploads/${ID}/uploaded`, body);
      expect([res.status, res.body.error.code], JSON.stringify(body)).toEqual([400, 'BadRequest']);
    }
  });
});

describe('part URLs and completion', () => {
  const SHA = (c: string) => `${c.repeat(43)}=`;
  it('signs a batch of part URLs, each with its checksum as a header the PUT must send', async () => {
    const checksums = [SHA('a'), SHA('b'), SHA('c')];
    const res = await send('POST', `/api/uploads/${ID}/parts`, { uploadId: 'u', partNumbers: [1, 2, 3], checksums });
    expect(res.status).toBe(200);
    expect(res.body.urls).toEqual(
      [1, 2, 3].map((n, i) => ({
        partNumber: n,
        url: `http://s3.test:9000/b/${ID}/data?uploadId=u&partNumber=${n}&signed=${checksums[i]}`,
        headers: { 'x-amz-checksum-sha256': checksums[i] },
      })),
    );
  });

  it('refuses part URLs without checksums, with too few or too many, or with malformed ones (400 BadChecksum)', async () => {
    for (const body of [
      { uploadId: 'u', partNumbers: [1, 2] },
      { uploadId: 'u', partNumbers: [1, 2], checksums: [SHA('a')] },
      { uploadId: 'u', partNumbers: [1], checksums: [SHA('a'), SHA('b')] },
      { uploadId: 'u', partNumbers: [1], checksums: ['not base64 at all'] },
      // an MD5-sized digest where the server signs SHA-256
      { uploadId: 'u', partNumbers: [1], checksums: [`${'a'.repeat(22)}==`] },
    ]) {
      const res = await send('POST', `/api/uploads/${ID}/parts`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('BadChecksum');
    }
    // Longer than any digest: refused by the schema before anything else looks at it.
    const long = await send('POST', `/api/uploads/${ID}/parts`, { uploadId: 'u', partNumbers: [1], checksums: ['A'.repeat(45)] });
    expect([long.status, long.body.error.code]).toEqual([400, 'BadRequest']);
  });

  it('without PART_CHECKSUM, parts are signed in batches and checksums are refused', async () => {
    const plain = await buildApp({ access: openAccess(), storage: { ...storage, partChecksum: null }, presignExpiresSeconds: 60 });
    try {
      const ok = await plain.inject({ method: 'POST', url: `/api/uploads/${ID}/parts`, payload: { uploadId: 'u', partNumbers: [1, 2] } });
      expect(ok.json().urls.map((u: { headers?: unknown }) => u.headers)).toEqual([undefined, undefined]);
      const refused = await plain.inject({
        method: 'POST',
        url: `/api/uploads/${ID}/parts`,
        payload: { uploadId: 'u', partNumbers: [1], checksums: [SHA('a')] },
      });
      expect([refused.statusCode, refused.json().error.code]).toEqual([400, 'BadChecksum']);
      const created = await plain.inject({ method: 'POST', url: '/api/uploads', payload: { size: 10, partCount: 1 } });
      expect(created.json().partChecksum).toBeNull();
    } finally {
      await plain.close();
    }
  });

  it('refuses batches that are empty, too large, repeated or out of range', async () => {
    for (const partNumbers of [[], Array.from({ length: 101 }, (_, i) => i + 1), [1, 1], [0], [10_001]]) {
      expect((await send('POST', `/api/uploads/${ID}/parts`, { uploadId: 'u', partNumbers })).status).toBe(400);
    }
  });

  it('completes only a contiguous, ordered part list', async () => {
    const ok = await send('POST', `/api/uploads/${ID}/complete`, {
      uploadId: 'u',
      parts: [
        { partNumber: 1, etag: '"abc"' },
        { partNumber: 2, etag: '"def"' },
      ],
    });
    expect(ok.status).toBe(200);
    for (const parts of [
      [{ partNumber: 2, etag: '"a"' }],
      [
        { partNumber: 1, etag: '"a"' },
        { partNumber: 3, etag: '"b"' },
      ],
      [{ partNumber: 1, etag: 'has space' }],
      [{ partNumber: 1 }],
    ]) {
      const res = await send('POST', `/api/uploads/${ID}/complete`, { uploadId: 'u', parts });
      expect(res.status).toBe(400);
    }
  });

  it('maps store errors to 4xx codes and hides 5xx details', async () => {
    const gone = await send('POST', `/api/uploads/${ID}/complete`, { uploadId: 'gone', parts: [{ partNumber: 1, etag: '"a"' }] });
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('UploadNotFound');
    const boom = await send('POST', `/api/uploads/${ID}/complete`, { uploadId: 'explode', parts: [{ partNumber: 1, etag: '"a"' }] });
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

it('allows WebAssembly in the CSP only when parts are checked with MD5 (hash-wasm), and never inline script', async () => {
  const md5 = await buildApp({ access: openAccess(), storage: { ...storage, partChecksum: 'md5' }, presignExpiresSeconds: 60 });
  try {
    const csp = String((await md5.inject({ method: 'GET', url: '/api/health' })).headers['content-security-policy']);
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval';");
    expect(csp).not.toContain('unsafe-inline');
    const signed = await md5.inject({
      method: 'POST',
      url: `/api/uploads/${ID}/parts`,
      payload: { uploadId: 'u', partNumbers: [1], checksums: ['AAAAAAAAAAAAAAAAAAAAAA=='] },
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
      access: openAccess({ openUploads: false, uploadTokens: [TOKEN, 'second-token-0123456789'], maxFileSize: 1000, rateLimitPerMinute: 12 }),
      storage: { ...storage, remove: async (id, role) => void removed.push(`${id}/${role}`) },
      presignExpiresSeconds: 60,
    });
  });
  const post = (url: string, payload: unknown, authorization?: string) =>
    locked.inject({ method: 'POST', url, payload: payload as object, headers: authorization ? { authorization } : {} });

  it('refuses uploads without a token (401) or with a wrong one (403), on every upload route', async () => {
    for (const [url, body] of [
      ['/api/uploads', { size: 10, partCount: 1 }],
      [`/api/uploads/${ID}/parts`, { uploadId: 'u', partNumbers: [1] }],
      [`/api/uploads/${ID}/complete`, { uploadId: 'u', parts: [{ partNumber: 1, etag: '"a"' }] }],
      [`/api/uploads/${ID}/abort`, { uploadId: 'u' }],
      [`/api/uploads/${ID}/uploaded`, { uploadId: 'u' }],
    ] as const) {
      const none = await post(url, body);
      expect(none.statusCode, url).toBe(401);
      expect(none.json().error.code).toBe('Unauthorized');
      const wrong = await post(url, body, 'Bearer upload-token-0123456789abcdeX');
      expect(wrong.statusCode, url).toBe(403);
      expect(wrong.json().error.code).toBe('Forbidden');
    }
    expect((await post('/api/uploads', { size: 10, partCount: 1 }, `Bearer ${TOKEN}`)).statusCode).toBe(201);
    expect((await post('/api/uploads', { size: 10, partCount: 1 }, 'Bearer second-token-0123456789')).statusCode).toBe(201);
  });

  it('refuses files above the configured maximum with 413', async () => {
    const res = await post('/api/uploads', { size: 1001, partCount: 1 }, `Bearer ${TOKEN}`);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PayloadTooLarge');
  });

  it('deletes only with the owner token it handed out', async () => {
    const { id, ownerToken } = (await post('/api/uploads', { size: 10, partCount: 1 }, `Bearer ${TOKEN}`)).json();
    expect(ownerToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // One character changed (never to itself: a token ending in "A" made this a 1-in-64 flake).
    const wrong = await post(`/api/files/${id}/delete`, { ownerToken: `${ownerToken.slice(0, -1)}${ownerToken.endsWith('A') ? 'B' : 'A'}` });
    expect(wrong.statusCode).toBe(403);
    expect(removed).toEqual([]);
    const other = (await post('/api/uploads', { size: 10, partCount: 1 }, `Bearer ${TOKEN}`)).json();
    expect((await post(`/api/files/${id}/delete`, { ownerToken: other.ownerToken })).statusCode).toBe(403);
    const ok = await post(`/api/files/${id}/delete`, { ownerToken });
    expect(ok.statusCode).toBe(200);
    expect(removed.sort()).toEqual([`${id}/data`, `${id}/meta`]);
  });

  it('rate-limits each client with a 429 JSON error that still carries the security headers', async () => {
    let last = await locked.inject({ method: 'GET', url: '/api/health' });
    for (let i = 0; i < 20 && last.statusCode !== 429; i++) last = await locked.inject({ method: 'GET', url: '/api/health' });
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
    const served = await buildApp({ access: openAccess(), storage: { ...storage, partChecksum: 'md5' }, presignExpiresSeconds: 60, staticDir: dir });
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
