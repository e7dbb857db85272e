/**
 * Resume after reload and network faults, in every engine: the upload's resume records live in
 * IndexedDB and its spool in OPFS where the engine has one (a Blob in memory where it has not),
 * and every retry path runs through the engine's own fetch.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_PART_PLAINTEXT } from '../../src/layout.ts';
import { sha256File, writeRandomFile } from '../support/files.ts';
import type { Fault, FaultPlan } from '../support/recording-proxy.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { DownloadPage, expect, test, UploadPage } from './fixtures.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-browsers-resilience-'));
const partNumberOf = (url: string) => Number(new URL(url, 'http://x').searchParams.get('partNumber'));
const isPartPut = (method: string, url: string) => method === 'PUT' && url.includes('partNumber=');
const isDataGet = (method: string, url: string) => method === 'GET' && url.includes('/data');

const storedParts = (stack: Stack) =>
  stack.s3Proxy.records
    .filter((r) => isPartPut(r.method, r.url))
    .map((r) => partNumberOf(r.url))
    .sort((a, b) => a - b);

async function downloadHash(viewer: DownloadPage, link: string, size: number): Promise<string> {
  await viewer.open(link);
  await viewer.fileName();
  return sha256File((await viewer.download(size)).path);
}

test('reload mid-upload, choose the file again: it continues with the same key and round-trips', async ({ newTab }) => {
  const size = 3 * DEFAULT_PART_PLAINTEXT - 4321;
  let held = true;
  // Part 3 hangs unanswered (a black hole) until released: "mid-upload" is an exact moment.
  const stack = await startStack({ s3Faults: ({ method, url }) => (held && isPartPut(method, url) && partNumberOf(url) === 3 ? 'hang' : null) });
  try {
    const file = path.join(dir, 'resumed.bin');
    const sha = await writeRandomFile(file, size);
    const uploader = new UploadPage(await newTab(), stack.appUrl);
    await uploader.goto();
    await uploader.choose(file);
    await expect.poll(() => storedParts(stack), { timeout: 4 * 60_000 }).toEqual([1, 2]);
    await expect.poll(async () => (await uploader.savedUploads()).map((s) => s.done), { timeout: 60_000 }).toEqual([[1, 2]]);
    const [saved] = await uploader.savedUploads();

    await uploader.tab.reload();
    await uploader.expectStatus('resumed.bin', /^Unfinished at \d+%: choose or drop this file again to continue$/);
    held = false;
    await uploader.choose(file);
    const link = new URL(await uploader.shareLink('resumed.bin'));
    expect(link.pathname).toBe(`/d/${saved.id}`);
    expect(link.hash.slice(1)).toBe(saved.secret);
    expect(storedParts(stack)).toEqual([1, 2, 3]);
    await uploader.tab.close();
    expect(await downloadHash(new DownloadPage(await newTab()), link.href, size)).toBe(sha);
  } finally {
    await stack.stop();
  }
});

/** Every `every`-th request that `picks` matches gets the next fault of `cycle`. */
function everyNth(every: number, picks: (method: string, url: string) => boolean, cycle: Fault[]): FaultPlan {
  let seen = 0;
  let next = 0;
  return ({ method, url }) => (picks(method, url) && seen++ % every === 0 ? cycle[next++ % cycle.length] : null);
}

test('resets, 500s, 503 SlowDown, stalls and slow bodies on part PUTs and ranged GETs: the file still round-trips exactly', async ({ newTab }) => {
  const upload = everyNth(2, isPartPut, ['reset', 'error500', 'slowDown503', 'stall']);
  const download = everyNth(2, isDataGet, ['reset', 'slowBody', 'error500', 'slowDown503', 'stall']);
  const stack = await startStack({ s3Faults: (request) => upload(request) ?? download(request) });
  try {
    const file = path.join(dir, 'faulty.bin');
    const size = 3 * DEFAULT_PART_PLAINTEXT + 999;
    const sha = await writeRandomFile(file, size);
    const uploader = new UploadPage(await newTab(), stack.appUrl);
    const { link } = await uploader.share(file);
    await uploader.tab.close();
    expect(await downloadHash(new DownloadPage(await newTab()), link, size)).toBe(sha);
    const kinds = (method: string) => [...new Set(stack.s3Proxy.injected.filter((f) => f.method === method).map((f) => f.fault))].sort();
    expect(kinds('PUT').length).toBeGreaterThanOrEqual(2);
    expect(kinds('GET').length).toBeGreaterThanOrEqual(2);
    test.info().annotations.push({ type: 'injected', description: stack.s3Proxy.injected.map((f) => `${f.method} ${f.fault}`).join(', ') });
  } finally {
    await stack.stop();
  }
});
