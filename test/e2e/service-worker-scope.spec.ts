/**
 * The service worker controls download pages only (SERVICE_WORKER_SCOPE, src/download/sinks.ts).
 * A controlled page's workers send every request through its fetch event, and in Chromium each
 * upload PUT's body was copied into the service worker on the way (~150 MiB more renderer memory
 * in a 1 GiB upload, README "Where the CPU goes", Memory). So: once a download page has registered
 * it, the upload page is still not controlled and its workers' store requests never enter it; and
 * a registration at `/` left by an earlier version is removed as a page opens.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { writeRandomFile } from '../support/files.ts';
import { DownloadPage, expect, test } from './fixtures.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-sw-scope-'));

/** The scopes of this origin's service-worker registrations, each with an active worker. */
const activeScopes = (page: Page) => page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).filter((r) => r.active).map((r) => r.scope));

test("after a download page has registered the service worker, the upload page is not controlled and its workers' store requests never enter it", async ({
  context,
  uploadPage,
  stack,
}) => {
  const first = path.join(dir, 'first.bin');
  await writeRandomFile(first, 3 * 1024 * 1024);
  const { link } = await uploadPage.share(first);
  const viewer = new DownloadPage(await context.newPage());
  await viewer.open(link);
  await expect(viewer.fileName()).toHaveText('first.bin');
  await expect.poll(() => viewer.page.evaluate(() => Boolean(navigator.serviceWorker.controller)), { timeout: 15_000 }).toBe(true);
  expect(await activeScopes(viewer.page)).toEqual([new URL('/d/', stack.appUrl).href]);

  await uploadPage.goto();
  expect(await uploadPage.page.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
  const second = path.join(dir, 'second.bin');
  await writeRandomFile(second, 3 * 1024 * 1024);
  await uploadPage.share(second);
  // Resource timing in each crypto worker: `workerStart` is 0 for a request no service worker handled.
  const requests: { name: string; workerStart: number }[] = [];
  for (const worker of uploadPage.page.workers()) {
    requests.push(
      ...(await worker.evaluate(() =>
        performance.getEntriesByType('resource').map((e) => ({ name: e.name, workerStart: (e as PerformanceResourceTiming).workerStart })),
      )),
    );
  }
  // The store is another origin than the app (its parts' PUTs); the app's own API is not counted.
  const storeRequests = requests.filter((r) => !r.name.startsWith(new URL(stack.appUrl).origin));
  expect(storeRequests.length).toBeGreaterThan(0);
  expect(storeRequests.filter((r) => r.workerStart !== 0)).toEqual([]);
});

test('a service worker registered at / by an earlier version is unregistered when a page opens', async ({ uploadPage, stack }) => {
  await uploadPage.goto();
  const root = new URL('/', stack.appUrl).href;
  await uploadPage.page.evaluate(async () => {
    await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    await navigator.serviceWorker.ready;
  });
  expect(await activeScopes(uploadPage.page)).toContain(root);
  await uploadPage.goto();
  await expect.poll(() => activeScopes(uploadPage.page)).not.toContain(root);
  await uploadPage.goto();
  expect(await uploadPage.page.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
});
