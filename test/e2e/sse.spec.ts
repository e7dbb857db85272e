/**
 * Server-side encryption as a second layer, through the real page, on a store that implements it
 * (run by npm run test:ceph only; the embedded s3rver has no SSE). Under SSE-C the page derives
 * the file's store key from the link secret, starts the multipart upload itself, and sends the key
 * headers on every store request; the presign server never sees the key.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { fromBase64Url } from '../../src/crypto/bytes.ts';
import { customerKeyHeaders } from '../../src/crypto/sse-c.ts';
import { sha256File, writeRandomFile } from '../support/files.ts';
import { externalKmsKeyId, PREFIX, startStack } from '../support/stack.ts';
import { DownloadPage, expect, test } from './fixtures.ts';
import { UploadPage } from './pages.ts';

const MiB = 1024 * 1024;
const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-sse-'));

test('SSE-C: the page keys the store per file; the server never sees that key; the file round-trips', async ({ browser }) => {
  const stack = await startStack({ sse: { mode: 'sse-c' } });
  try {
    const file = path.join(dir, 'sse-c.bin');
    await writeRandomFile(file, 20 * MiB + 5);
    const context = await browser.newContext({ acceptDownloads: true });
    const { link, id, secret } = await new UploadPage(await context.newPage(), stack.appUrl).share(file);
    const viewer = new DownloadPage(await context.newPage());
    await viewer.open(link);
    const download = await viewer.download();
    expect(await download.failure()).toBeNull();
    expect(await sha256File(await download.path())).toBe(await sha256File(file));

    const headers = await customerKeyHeaders(fromBase64Url(secret) as Uint8Array);
    const sseKey = headers['x-amz-server-side-encryption-customer-key'];
    const head = await stack.s3.send(
      new HeadObjectCommand({
        Bucket: stack.bucket,
        Key: `${PREFIX}${id}/data`,
        SSECustomerAlgorithm: 'AES256',
        SSECustomerKey: sseKey,
        SSECustomerKeyMD5: headers['x-amz-server-side-encryption-customer-key-md5'],
      }),
    );
    expect(head.SSECustomerAlgorithm).toBe('AES256');
    // Every store request of this file carried the key; no request to the app ever did.
    const storeRequests = stack.s3Proxy.records.filter((r) => r.url.includes(id) && r.method !== 'OPTIONS');
    expect(storeRequests.length).toBeGreaterThan(3);
    for (const r of storeRequests) expect(r.headers['x-amz-server-side-encryption-customer-key'], `${r.method} ${r.url}`).toBe(sseKey);
    expect(storeRequests.some((r) => r.method === 'POST' && r.url.includes('uploads'))).toBe(true); // the page started the upload
    for (const r of stack.appProxy.records) {
      const wire = Buffer.concat([Buffer.from(`${r.url}\n${JSON.stringify(r.headers)}\n`), r.body]);
      expect(wire.includes(Buffer.from(sseKey))).toBe(false);
    }
    await context.close();
  } finally {
    await stack.stop();
  }
});

test('SSE-KMS: every object the page writes is reported encrypted under the configured KMS key', async ({ browser }) => {
  const kmsKeyId = externalKmsKeyId();
  const stack = await startStack({ sse: { mode: 'aws:kms', kmsKeyId } });
  try {
    const file = path.join(dir, 'kms.bin');
    await writeRandomFile(file, 3 * MiB);
    const context = await browser.newContext({ acceptDownloads: true });
    const { link, id } = await new UploadPage(await context.newPage(), stack.appUrl).share(file);
    for (const role of ['data', 'meta']) {
      const head = await stack.s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: `${PREFIX}${id}/${role}` }));
      expect([head.ServerSideEncryption, head.SSEKMSKeyId]).toEqual(['aws:kms', kmsKeyId]);
    }
    const viewer = new DownloadPage(await context.newPage());
    await viewer.open(link);
    const download = await viewer.download();
    expect(readFileSync(await download.path()).equals(readFileSync(file))).toBe(true);
    await context.close();
  } finally {
    await stack.stop();
  }
});
