/**
 * The File System Access path: where the browser offers `showSaveFilePicker`, verified plaintext
 * is written straight into the picked file; a failure discards it. Nobody can answer the picker's
 * dialog under automation, so the test answers it: the "picked" file is a real file in the origin
 * private file system, written through the same FileSystemWritableFileStream a disk file uses.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from '@playwright/test';
import { parseCompleteHeader, regularFrameSize } from '../../src/crypto/format.ts';
import { sha256File, writeRandomFile } from '../support/files.ts';
import { DownloadPage, expect, test } from './fixtures.ts';

const MiB = 1024 * 1024;
const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-save-'));

/** A viewer whose save picker "picks" `picked-<name>` in the origin private file system. */
async function pickingViewer(browser: Browser) {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    // Present as a browser a person drives (the app skips the picker under automation).
    Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false });
    Object.assign(window, {
      showSaveFilePicker: async ({ suggestedName }: { suggestedName: string }) =>
        (await navigator.storage.getDirectory()).getFileHandle(`picked-${suggestedName}`, { create: true }),
    });
  });
  const viewer = new DownloadPage(await context.newPage());
  const downloads: unknown[] = [];
  viewer.page.on('download', (d) => downloads.push(d));
  /** SHA-256 (hex) of the picked file, or null when it does not exist. */
  const picked = (name: string) =>
    viewer.page.evaluate(async (file) => {
      try {
        const handle = await (await navigator.storage.getDirectory()).getFileHandle(file);
        const digest = await crypto.subtle.digest('SHA-256', await (await handle.getFile()).arrayBuffer());
        return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
      } catch {
        return null;
      }
    }, `picked-${name}`);
  return { viewer, downloads, picked, close: () => context.close() };
}

test('with a save picker, the file is written where the person chose, verified, and no browser download happens', async ({ browser, uploadPage }) => {
  const file = path.join(dir, 'picked.bin');
  // Six 16 MiB ranges: more than are in flight, so later ranges are opened into buffers the sink has written (Sink releasesChunks).
  await writeRandomFile(file, 5 * 16 * MiB + 3);
  const { link } = await uploadPage.share(file);
  const v = await pickingViewer(browser);
  await v.viewer.open(link);
  await v.viewer.page.getByRole('button', { name: 'Download' }).click();
  await expect(v.viewer.page.getByRole('status')).toHaveText('Saved and verified.');
  expect(await v.picked('picked.bin')).toBe(await sha256File(file));
  expect(v.downloads).toHaveLength(0);
  await v.close();
});

test("the picked file's writable takes a copy of each chunk, so the download may reuse a chunk's memory once written", async ({ browser, stack }) => {
  const v = await pickingViewer(browser);
  await v.viewer.page.goto(stack.appUrl);
  const firstBytes = await v.viewer.page.evaluate(async () => {
    const handle = await (await navigator.storage.getDirectory()).getFileHandle('copy-probe.bin', { create: true });
    const writable = await handle.createWritable();
    const chunk = new Uint8Array(1024 * 1024).fill(1);
    await writable.write(chunk);
    chunk.fill(2); // as a later range opened into the same buffer would
    await writable.write(chunk);
    await writable.close();
    const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
    return [bytes.length, bytes[0], bytes[1024 * 1024 - 1], bytes[1024 * 1024]];
  });
  expect(firstBytes).toEqual([2 * 1024 * 1024, 1, 1, 2]);
  await v.close();
});

test('with a save picker, a tampered frame discards the picked file and names the frame', async ({ browser, uploadPage, stack }) => {
  const file = path.join(dir, 'damaged.bin');
  await writeRandomFile(file, 20 * MiB);
  const { link, id } = await uploadPage.share(file);
  const data = await stack.getObject(id, 'data');
  const header = parseCompleteHeader(data);
  data[header.length + 36 * regularFrameSize(header.frameLength) + 7] ^= 0x80; // frame 37
  await stack.putObject(id, 'data', data);

  const v = await pickingViewer(browser);
  await v.viewer.open(link);
  await v.viewer.page.getByRole('button', { name: 'Download' }).click();
  await expect(v.viewer.alert()).toHaveText('The file is damaged or was tampered with: corrupted at frame 37. Nothing was saved.');
  expect(await v.picked('damaged.bin')).toBeNull();
  await v.close();
});

test('downloads start even when the service worker was stopped (as Chromium does after 30 s idle)', async ({ browser, uploadPage }) => {
  // The page registers each download with the worker, then requests it; a stopped worker restarts
  // on both events, which have no order between them. The download must start every time.
  const file = path.join(dir, 'after-idle.bin');
  const hash = await writeRandomFile(file, 3 * MiB + 5);
  const { link } = await uploadPage.share(file);
  const context = await browser.newContext({ acceptDownloads: true });
  for (let round = 0; round < 5; round++) {
    // A fresh page each round: going to the same URL again would only move to its fragment.
    const viewer = new DownloadPage(await context.newPage());
    const cdp = await context.newCDPSession(viewer.page);
    await viewer.open(link);
    await expect(viewer.fileName()).toHaveText('after-idle.bin');
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    const download = await viewer.download();
    expect(await sha256File(await download.path()), `round ${round}`).toBe(hash);
    await viewer.page.close();
  }
  await context.close();
});
