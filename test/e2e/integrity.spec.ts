/**
 * Per-part integrity in the real page: with PART_CHECKSUM on, every part PUT carries a digest of
 * its sealed bytes signed into its URL, so a store that checks it refuses bytes damaged on the way:
 * SHA-256 (x-amz-checksum-sha256, checked by AWS S3) or Content-MD5 (what Ceph RGW 16 checks). It is
 * off by default (it costs more than 5 % of upload speed here; README "Per-part integrity"). s3rver checks neither: there the tests prove the digests are right; on Ceph
 * (npm run test:ceph) a part damaged in transit is refused with BadDigest and sent again.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_PART_PLAINTEXT } from '../../src/layout.ts';
import { writeRandomFile } from '../support/files.ts';
import type { RecordedRequest } from '../support/recording-proxy.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { expect, test } from './fixtures.ts';
import { downloadedHash, UploadPage } from './pages.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-integrity-'));
const SIZE = 2 * DEFAULT_PART_PLAINTEXT + 777;
const partNumberOf = (url: string) => Number(new URL(url, 'http://x').searchParams.get('partNumber'));

/** The part PUTs of one file as the store-side proxy saw them (headers and the bytes sent). */
const partPuts = (stack: Stack, id: string): RecordedRequest[] =>
  stack.s3Proxy.records.filter((r) => r.method === 'PUT' && r.url.includes(`/${id}/data`) && r.url.includes('partNumber='));

/** Uploads a new random file through the page, checks it downloads byte-exact, returns its part PUTs. */
async function roundTrip(stack: Stack, browser: import('@playwright/test').Browser, name: string) {
  const file = path.join(dir, name);
  const hash = await writeRandomFile(file, SIZE);
  const context = await browser.newContext();
  const { link, id } = await new UploadPage(await context.newPage(), stack.appUrl).share(file);
  await context.close();
  expect(await downloadedHash(browser, link)).toBe(hash);
  return { id, puts: partPuts(stack, id) };
}

test('with PART_CHECKSUM=sha256 every part PUT carries the SHA-256 of the bytes it sends, as a header signed into its URL', async ({ browser }) => {
  const stack = await startStack({ partChecksum: 'sha256' });
  try {
    const { puts } = await roundTrip(stack, browser, 'checked.bin');
    expect(puts.map((r) => partNumberOf(r.url)).sort()).toEqual([1, 2, 3]);
    for (const put of puts) {
      expect(put.headers['x-amz-checksum-sha256']).toBe(createHash('sha256').update(put.body).digest('base64'));
      expect(new URL(put.url, 'http://x').searchParams.get('X-Amz-SignedHeaders')).toContain('x-amz-checksum-sha256');
    }
  } finally {
    await stack.stop();
  }
});

test('by default (PART_CHECKSUM=none) part URLs are signed ahead, the first batch at create, and PUTs carry no checksum', async ({ browser, stack }) => {
  const { id, puts } = await roundTrip(stack, browser, 'unchecked.bin');
  expect(puts.map((r) => partNumberOf(r.url)).sort()).toEqual([1, 2, 3]);
  for (const put of puts) expect(put.headers['x-amz-checksum-sha256'] ?? put.headers['content-md5']).toBeUndefined();
  // Parts 1–3 are all within the first batch, which came with the create answer: no /parts call.
  const batches = stack.appProxy.records.filter((r) => r.url === `/api/uploads/${id}/parts`).map((r) => JSON.parse(r.body.toString()).partNumbers);
  expect(batches).toEqual([]);
});

test('with Content-MD5 (hash-wasm, allowed by the CSP), a part damaged on the way is refused by a checking store and sent again', async ({ browser }) => {
  test.setTimeout(180_000);
  // Only a store that checks Content-MD5 can refuse damage; s3rver would keep the damaged part.
  const checking = Boolean(process.env.CIPHERDROP_TEST_S3_ENV);
  let damaged = false;
  const stack = await startStack({
    partChecksum: 'md5',
    s3Faults: ({ method, url }) => {
      if (!checking || damaged || method !== 'PUT' || partNumberOf(url) !== 2) return null;
      damaged = true;
      return 'corrupt';
    },
  });
  try {
    const { puts } = await roundTrip(stack, browser, 'md5.bin');
    for (const put of puts) expect(put.headers['content-md5']).toBe(createHash('md5').update(put.body).digest('base64'));
    // Part 2 went twice where the store refused the damaged copy (BadDigest), once elsewhere.
    expect(puts.map((r) => partNumberOf(r.url)).sort()).toEqual(checking ? [1, 2, 2, 3] : [1, 2, 3]);
    expect(stack.s3Proxy.injected.map((f) => f.fault)).toEqual(checking ? ['corrupt'] : []);
  } finally {
    await stack.stop();
  }
});
