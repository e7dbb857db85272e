/**
 * A browser without service workers (private windows in some browsers, older ones), in the real
 * page: `navigator.serviceWorker` is taken away before the app loads, so features.ts detects the
 * `blob` download path. A file up to MAX_BLOB_DOWNLOAD (64 MiB) still downloads, verified, through
 * a Blob; a larger one is refused up front with the message that names browsers that work and
 * the command line, and nothing is saved.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext } from '@playwright/test';
import { sha256File, writeRandomFile } from '../support/files.ts';
import { DownloadPage, expect, test } from './fixtures.ts';

const MiB = 1024 * 1024;
const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-no-sw-'));

async function withoutServiceWorkers(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ acceptDownloads: true });
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'serviceWorker', { configurable: true, get: () => undefined });
  });
  return context;
}

test('without service workers a file up to 64 MiB downloads through a Blob, byte-exact', async ({ browser, uploadPage }) => {
  const file = path.join(dir, 'fits-in-memory.bin');
  const sha = await writeRandomFile(file, 5 * MiB + 3);
  const { link } = await uploadPage.share(file);
  const context = await withoutServiceWorkers(browser);
  const viewer = new DownloadPage(await context.newPage());
  await viewer.open(link);
  expect(await viewer.page.evaluate(() => navigator.serviceWorker)).toBeUndefined();
  const download = await viewer.download();
  expect(await download.failure()).toBeNull();
  expect(download.url()).toMatch(/^blob:/);
  expect(await sha256File(await download.path())).toBe(sha);
  await context.close();
});

test('without service workers a file over 64 MiB is refused with a message naming browsers that work and the CLI; nothing is saved', async ({
  browser,
  uploadPage,
}) => {
  test.setTimeout(4 * 60_000);
  const file = path.join(dir, 'too-big-for-memory.bin');
  await writeRandomFile(file, 64 * MiB + 1);
  const { link } = await uploadPage.share(file);
  const context = await withoutServiceWorkers(browser);
  const viewer = new DownloadPage(await context.newPage());
  await viewer.open(link);
  const downloads: string[] = [];
  viewer.page.on('download', (d) => downloads.push(d.suggestedFilename()));
  await viewer.page.getByRole('button', { name: 'Download' }).click();
  await expect(viewer.alert()).toContainText('Open the link in a current Firefox, Chrome or Safari');
  await expect(viewer.alert()).toContainText("npx cipherdrop download '");
  await viewer.page.waitForTimeout(1000);
  expect(downloads).toEqual([]);
  await context.close();
});
