/**
 * The embedded store against the attacks of issue 13 (findings 2 and 4), on the real store
 * (s3rver in its child process, behind store-guard.ts): anonymous reads and writes, foreign-origin
 * CORS, an upload id that walks out of the data directory, a Complete naming a missing part, and
 * rewriting an object a conditional PUT created.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3 } from '../../../server/local-s3.ts';
import { s3Client } from '../../../server/s3-client.ts';

const APP = 'http://127.0.0.1:4173';
const EVIL = 'http://evil.test';
const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const META = `cipherdrop/${ID}/meta`;
let dir: string;
let s3: LocalS3;
let client: S3Client;
let Bucket: string;
let endpoint: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-guard-'));
  mkdirSync(path.join(dir, 'outside'));
  s3 = await startLocalS3(path.join(dir, 'data', 's3'));
  await s3.setAllowedOrigins([APP]);
  client = s3Client(s3.settings, s3.settings.endpoint);
  Bucket = s3.settings.bucket;
  endpoint = s3.settings.endpoint as string;
  await client.send(new PutObjectCommand({ Bucket, Key: META, Body: 'original' }));
});

afterAll(async () => {
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const read = async (Key: string) => (await client.send(new GetObjectCommand({ Bucket, Key }))).Body?.transformToString();
const objectUrl = (key: string) => `${endpoint}/${Bucket}/${key}`;

async function expectDenied(res: Response): Promise<string> {
  const body = await res.text();
  expect(res.status).toBe(403);
  expect(body).toContain('<Code>AccessDenied</Code>');
  return body;
}

describe('anonymous requests', () => {
  it('an unsigned ListObjectsV2 is refused and lists nothing', async () => {
    const body = await expectDenied(await fetch(`${endpoint}/${Bucket}?list-type=2`));
    expect(body).not.toContain(ID);
  });

  it('an unsigned GET of an object is refused', async () => {
    const body = await expectDenied(await fetch(objectUrl(META)));
    expect(body).not.toContain('original');
  });

  it('an unsigned PUT cannot overwrite an object', async () => {
    await expectDenied(await fetch(objectUrl(META), { method: 'PUT', body: 'overwritten' }));
    expect(await read(META)).toBe('original');
  });

  it('an unsigned DELETE cannot remove an object', async () => {
    await expectDenied(await fetch(objectUrl(META), { method: 'DELETE' }));
    expect(await read(META)).toBe('original');
  });

  it('s3rver itself refuses a wrong secret, a tampered URL and an expired presigned URL (403)', async () => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket, Key: META }), { expiresIn: 60 });
    expect((await fetch(url)).status).toBe(200);
    expect((await fetch(url.replace(`/${ID}/meta`, `/${ID}/data`))).status).toBe(403);
    expect((await fetch(url.replace(/X-Amz-Signature=[0-9a-f]/, 'X-Amz-Signature=g'))).status).toBe(403);
    const expired = await getSignedUrl(client, new GetObjectCommand({ Bucket, Key: META }), { expiresIn: 1, signingDate: new Date(Date.now() - 60_000) });
    await expectDenied(await fetch(expired));
    const wrongSecret = s3Client({ ...s3.settings, secretAccessKey: 'not-the-secret' }, endpoint);
    await expect(wrongSecret.send(new ListObjectsV2Command({ Bucket }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    fetch(objectUrl(META), {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, x-amz-checksum-sha256' },
    });

  it('a preflight from a foreign origin is refused, and actual answers carry no ACAO for it', async () => {
    const foreign = await preflight(EVIL);
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket, Key: META }), { expiresIn: 60 });
    const actual = await fetch(url, { headers: { origin: EVIL } });
    expect(actual.status).toBe(200);
    expect(actual.headers.get('access-control-allow-origin')).toBeNull();

    const own = await preflight(APP);
    expect(own.status).toBe(200);
    expect(own.headers.get('access-control-allow-origin')).toBe(APP);
    expect(own.headers.get('access-control-allow-methods')).toBe('GET, PUT, HEAD, POST');
    expect(own.headers.get('access-control-allow-headers')).toBe('content-type, x-amz-checksum-sha256');
    expect(own.headers.get('vary')).toContain('Origin');
    const ours = await fetch(url, { headers: { origin: APP } });
    expect(ours.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ours.headers.get('access-control-expose-headers')).toContain('ETag');
    // an expired URL's 403 stays readable by the page, which then asks for a fresh one
    const expired = await getSignedUrl(client, new GetObjectCommand({ Bucket, Key: META }), { expiresIn: 1, signingDate: new Date(Date.now() - 60_000) });
    expect((await fetch(expired, { headers: { origin: APP } })).headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('setAllowedOrigins replaces the allowed origins at runtime, and a restarted store keeps them', async () => {
    const later = 'http://localhost:5555';
    await s3.setAllowedOrigins([later]);
    try {
      expect((await preflight(APP)).status).toBe(403);
      expect((await preflight(later)).headers.get('access-control-allow-origin')).toBe(later);
      await s3.crash();
      expect((await preflight(later)).headers.get('access-control-allow-origin')).toBe(later);
      await s3.setAllowedOrigins([]);
      expect((await preflight(later)).status).toBe(403);
    } finally {
      await s3.setAllowedOrigins([APP]);
    }
  });
});

describe('multipart uploads', () => {
  const dataKey = (n: number) => `cipherdrop/${String(n).padStart(22, 'B')}/data`;
  const create = async (Key: string) => (await client.send(new CreateMultipartUploadCommand({ Bucket, Key }))).UploadId as string;

  it('an UploadPart URL with a traversal uploadId is refused and writes nothing outside the data directory', async () => {
    // data dir: <dir>/data/s3; uploads: <dir>/data/s3/cipherdrop/._S3rver_uploads; four levels up is <dir>
    const UploadId = '../../../../outside/pwn';
    const url = await getSignedUrl(client, new UploadPartCommand({ Bucket, Key: dataKey(1), UploadId, PartNumber: 7 }), { expiresIn: 60 });
    const res = await fetch(url, { method: 'PUT', body: 'pwned' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>InvalidArgument</Code>');
    expect(existsSync(path.join(dir, 'outside', 'pwn'))).toBe(false);
    expect(readdirSync(path.join(dir, 'outside'))).toEqual([]);
  });

  it('a Complete naming a never-uploaded part answers 400 InvalidPart and the store keeps running', async () => {
    const pid = s3.pid;
    const Key = dataKey(2);
    const UploadId = await create(Key);
    const { ETag } = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: 'one' }));
    const complete = (Parts: { PartNumber: number; ETag: string }[]) =>
      client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }));
    await expect(
      complete([
        { PartNumber: 1, ETag: ETag as string },
        { PartNumber: 2, ETag: ETag as string },
      ]),
    ).rejects.toMatchObject({
      name: 'InvalidPart',
      $metadata: { httpStatusCode: 400 },
    });
    expect(s3.pid).toBe(pid);
    // a wrong ETag, parts out of order, another key's upload: refused as S3 would
    await expect(complete([{ PartNumber: 1, ETag: '"0123456789abcdef0123456789abcdef"' }])).rejects.toMatchObject({ name: 'InvalidPart' });
    await expect(
      complete([
        { PartNumber: 3, ETag: ETag as string },
        { PartNumber: 1, ETag: ETag as string },
      ]),
    ).rejects.toMatchObject({ name: 'InvalidPartOrder' });
    await expect(
      client.send(new CompleteMultipartUploadCommand({ Bucket, Key: dataKey(3), UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await complete([{ PartNumber: 1, ETag: ETag as string }]);
    expect(await read(Key)).toBe('one');
    expect(s3.pid).toBe(pid);
  });

  it('a Complete body over 2 MiB is refused unread', async () => {
    const Key = dataKey(4);
    const UploadId = await create(Key);
    const url = await getSignedUrl(client, new CompleteMultipartUploadCommand({ Bucket, Key, UploadId }), { expiresIn: 60 });
    const res = await fetch(url, { method: 'POST', body: `<CompleteMultipartUpload>${' '.repeat(3 * 1024 * 1024)}</CompleteMultipartUpload>` });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('MaxMessageLengthExceeded');
  });
});

describe('conditional writes', () => {
  it('a PUT with If-None-Match: * onto an existing object answers 412 and leaves it unchanged', async () => {
    await expect(client.send(new PutObjectCommand({ Bucket, Key: META, Body: 'rewritten', IfNoneMatch: '*' }))).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    // as the presign server signs it for the page: If-None-Match a signed header of the URL
    const url = await getSignedUrl(client, new PutObjectCommand({ Bucket, Key: META, IfNoneMatch: '*' }), {
      expiresIn: 60,
      unhoistableHeaders: new Set(['if-none-match']),
    });
    expect((await fetch(url, { method: 'PUT', body: 'rewritten', headers: { 'if-none-match': '*' } })).status).toBe(412);
    expect(await read(META)).toBe('original');
    // a new object is written once; the second of two racing writers loses
    const Key = `cipherdrop/${'C'.repeat(22)}/meta`;
    const results = await Promise.allSettled(['a', 'b'].map((Body) => client.send(new PutObjectCommand({ Bucket, Key, Body, IfNoneMatch: '*' }))));
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });
});
