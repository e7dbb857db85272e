/**
 * Restarts in the middle of a transfer. The presign server goes away for eight seconds while a
 * file uploads (the page waits and completes); the store's process is killed mid-upload and its
 * supervisor brings it back (the parts are retried, the upload completes).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { sha256File, writeRandomFile } from '../support/files.ts';
import { startStack } from '../support/stack.ts';
import { DownloadPage, expect, test } from './fixtures.ts';
import { UploadPage } from './pages.ts';

const MiB = 1024 * 1024;
const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-restarts-'));

/** Resolves once the page's upload progress bar for `name` has moved. */
async function uploadUnderway(page: Page, name: string): Promise<void> {
  const bar = page.getByRole('progressbar', { name: `Upload progress of ${name}` });
  await expect.poll(() => bar.evaluate((p: HTMLProgressElement) => p.value), { intervals: [50] }).toBeGreaterThan(0);
}

test('the presign server is down for 8 s mid-upload: the page waits, completes, and the file round-trips', async ({ browser }) => {
  test.setTimeout(300_000);
  const stack = await startStack();
  try {
    const file = path.join(dir, 'server-restart.bin');
    await writeRandomFile(file, 96 * MiB);
    const context = await browser.newContext({ acceptDownloads: true });
    const uploader = new UploadPage(await context.newPage(), stack.appUrl);
    await uploader.goto();
    await uploader.choose(file);
    await uploadUnderway(uploader.page, 'server-restart.bin');
    await stack.restartApp(8_000);
    const link = await uploader.shareLink('server-restart.bin');
    // The page kept asking while the server was away (signing parts, or completing) and went on
    // once it was back: some upload call was sent more than once. Each part is signed once and
    // the upload completed once when nothing fails.
    const calls = stack.appProxy.records.filter((r) => r.method === 'POST' && /\/api\/uploads\/[^/]+\/(parts|complete)$/.test(r.url));
    const parts = calls.filter((r) => r.url.endsWith('/parts')).flatMap((r) => JSON.parse(r.body.toString()).partNumbers as number[]);
    const completes = calls.filter((r) => r.url.endsWith('/complete')).length;
    expect(parts.length + completes).toBeGreaterThan(new Set(parts).size + 1);
    const viewer = new DownloadPage(await context.newPage());
    await viewer.open(link);
    const download = await viewer.download();
    expect(await sha256File(await download.path())).toBe(await sha256File(file));
    await context.close();
  } finally {
    await stack.stop();
  }
});

test('the store process is killed mid-upload and restarted: parts are retried and the file round-trips', async ({ browser, stack }) => {
  test.skip(stack.backend !== 'local', 'restarts the embedded store only');
  test.setTimeout(300_000);
  const file = path.join(dir, 'store-restart.bin');
  await writeRandomFile(file, 96 * MiB);
  const context = await browser.newContext({ acceptDownloads: true });
  const uploader = new UploadPage(await context.newPage(), stack.appUrl);
  await uploader.goto();
  await uploader.choose(file);
  await uploadUnderway(uploader.page, 'store-restart.bin');
  await stack.crashStore();
  const link = await uploader.shareLink('store-restart.bin');
  const viewer = new DownloadPage(await context.newPage());
  await viewer.open(link);
  const download = await viewer.download();
  expect(await sha256File(await download.path())).toBe(await sha256File(file));
  await context.close();
});

test('a reload in the middle of a download fails that browser download (nothing half-written looks complete) and the page opens afresh', async ({
  browser,
}) => {
  test.setTimeout(300_000);
  // Ranged GETs arrive slowly, so the reload surely lands while the download is under way.
  const stack = await startStack({
    s3Faults: ({ method, url }) => (method === 'GET' && url.includes('/data') && url.includes('X-Amz-Signature') ? 'slowBody' : null),
  });
  try {
    const file = path.join(dir, 'reloaded.bin');
    await writeRandomFile(file, 48 * MiB);
    const context = await browser.newContext({ acceptDownloads: true });
    const { link } = await new UploadPage(await context.newPage(), stack.appUrl).share(file);
    const viewer = new DownloadPage(await context.newPage());
    await viewer.open(link);
    const download = await viewer.download();
    await expect(viewer.page.getByRole('progressbar')).toBeVisible();
    await viewer.page.reload();
    // The browser marks the download failed; no completed file is left.
    expect(await download.failure()).not.toBeNull();
    // After the reload the link opens as new, ready to download again.
    await expect(viewer.fileName()).toHaveText('reloaded.bin');
    await expect(viewer.page.getByRole('button', { name: 'Download' })).toBeVisible();
    await context.close();
  } finally {
    await stack.stop();
  }
});
