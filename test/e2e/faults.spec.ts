/**
 * The real world between the browser and the store, simulated by a proxy on 127.0.0.1 that
 * injects faults into part PUTs and ranged GETs: connection resets, 500 InternalError, 503
 * SlowDown, stalls, slow bodies; and presigned URLs that expire after one second. Each test
 * states what was injected (test annotations) and asserts what the person sees: a finished
 * upload and a byte-exact download.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sha256File, writeRandomFile } from '../support/files.ts';
import type { Fault, FaultPlan } from '../support/recording-proxy.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { DownloadPage, expect, test } from './fixtures.ts';
import { UploadPage } from './pages.ts';

const MiB = 1024 * 1024;
const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-faults-'));

/** Every `every`-th request that `picks` matches gets the next fault of `cycle`. */
function everyNth(every: number, picks: (method: string, url: string) => boolean, cycle: Fault[]): FaultPlan {
  let seen = 0;
  let next = 0;
  return ({ method, url }) => {
    if (!picks(method, url)) return null;
    return seen++ % every === 0 ? cycle[next++ % cycle.length] : null;
  };
}

const isPartPut = (method: string, url: string) => method === 'PUT' && url.includes('partNumber=');
const isDataGet = (method: string, url: string) => method === 'GET' && url.includes('/data');

async function roundTrip(stack: Stack, browser: import('@playwright/test').Browser, file: string) {
  const context = await browser.newContext({ acceptDownloads: true });
  const { link } = await new UploadPage(await context.newPage(), stack.appUrl).share(file);
  const viewer = new DownloadPage(await context.newPage());
  await viewer.open(link);
  const download = await viewer.download();
  expect(await download.failure()).toBeNull();
  await expect(viewer.page.getByRole('status')).toHaveText('Downloaded and verified.');
  const hash = await sha256File(await download.path());
  await context.close();
  return hash;
}

test('resets, 500s, 503 SlowDown, stalls and slow bodies on part PUTs and ranged GETs: the file still round-trips exactly', async ({ browser }) => {
  test.setTimeout(300_000);
  const upload = everyNth(3, isPartPut, ['reset', 'error500', 'slowDown503', 'stall']);
  const download = everyNth(3, isDataGet, ['reset', 'slowBody', 'error500', 'slowDown503', 'stall']);
  const stack = await startStack({ s3Faults: (request) => upload(request) ?? download(request) });
  try {
    const file = path.join(dir, 'faulty.bin');
    await writeRandomFile(file, 96 * MiB + 12345);
    expect(await roundTrip(stack, browser, file)).toBe(await sha256File(file));
    const kinds = (method: string) => [...new Set(stack.s3Proxy.injected.filter((f) => f.method === method).map((f) => f.fault))].sort();
    expect(kinds('PUT')).toEqual(['error500', 'reset', 'slowDown503', 'stall']);
    expect(kinds('GET')).toEqual(['error500', 'reset', 'slowBody', 'slowDown503', 'stall']);
    test.info().annotations.push({
      type: 'injected',
      description: stack.s3Proxy.injected.map((f) => `${f.method} ${f.fault}`).join(', '),
    });
  } finally {
    await stack.stop();
  }
});

test('presigned URLs that expire after one second are signed again, for parts and for ranges', async ({ browser }) => {
  test.setTimeout(300_000);
  // On a fast machine every URL may be used within its second; stalling the first part PUT and the
  // first ranged GET for 2.5 s in the proxy makes at least one of each reach the store expired.
  const firstPut = everyNth(Number.MAX_SAFE_INTEGER, isPartPut, ['stall']);
  const firstGet = everyNth(Number.MAX_SAFE_INTEGER, isDataGet, ['stall']);
  const stack = await startStack({ presignExpiresSeconds: 1, s3Faults: (request) => firstPut(request) ?? firstGet(request) });
  try {
    const file = path.join(dir, 'expiring.bin');
    await writeRandomFile(file, 96 * MiB);
    expect(await roundTrip(stack, browser, file)).toBe(await sha256File(file));
    // A part URL was asked for again after its first one expired: a /parts call for a single part.
    const partCalls = stack.appProxy.records.filter((r) => r.url.endsWith('/parts')).map((r) => JSON.parse(r.body.toString()).partNumbers as number[]);
    expect(partCalls.filter((numbers) => numbers.length === 1).length).toBeGreaterThan(0);
    // The download fetched fresh URLs too (one GET /api/files/:id to open, more after expiry).
    const infoCalls = stack.appProxy.records.filter((r) => r.method === 'GET' && /\/api\/files\/[^/]+$/.test(r.url));
    expect(infoCalls.length).toBeGreaterThan(1);
  } finally {
    await stack.stop();
  }
});

test('a ranged GET that is never answered (a black hole) is given up after the stall limit and fetched again', async ({ browser }) => {
  test.setTimeout(300_000);
  let held = false;
  const stack = await startStack({
    s3Faults: ({ method, url }) => {
      // The first GET of a range after the header read: the download is under way when it hangs.
      if (held || !isDataGet(method, url) || !url.includes('X-Amz-Signature')) return null;
      held = true;
      return 'hang';
    },
  });
  try {
    const file = path.join(dir, 'black-hole.bin');
    await writeRandomFile(file, 24 * MiB + 99);
    expect(await roundTrip(stack, browser, file)).toBe(await sha256File(file));
    expect(stack.s3Proxy.injected.map((f) => `${f.method} ${f.fault}`)).toEqual(['GET hang']);
    test.info().annotations.push({ type: 'injected', description: 'one ranged GET never answered; given up after 60 s (STALL_TIMEOUT_MS) and fetched again' });
  } finally {
    await stack.stop();
  }
});

test('a store whose CORS rule does not expose ETag fails the upload loudly, naming the rule, instead of hanging at 100 %', async ({ browser }) => {
  const stack = await startStack({ s3Faults: ({ method, url }) => (isPartPut(method, url) ? 'hideETag' : null) });
  try {
    const file = path.join(dir, 'no-etag.bin');
    await writeRandomFile(file, 5 * MiB + 3);
    const context = await browser.newContext();
    const uploader = new UploadPage(await context.newPage(), stack.appUrl);
    await uploader.goto();
    await uploader.choose(file);
    await expect(uploader.status('no-etag.bin')).toHaveText(
      "The storage did not expose the part's ETag: its CORS rule needs <ExposeHeader>ETag</ExposeHeader>",
    );
    await expect(uploader.control('Retry', 'no-etag.bin')).toBeVisible();
    // Failed, not finished: nothing was completed, and the unfinished upload is kept for a retry.
    expect(stack.appProxy.records.some((r) => r.url.endsWith('/complete'))).toBe(false);
    await context.close();
  } finally {
    await stack.stop();
  }
});
