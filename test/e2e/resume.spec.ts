/**
 * Pause, resume, cancel, reload and folders, in the real page against the real store. A gate in
 * the store-side proxy black-holes chosen part PUTs (they hang unanswered) until the test opens
 * it, so "mid-upload" is an exact moment: parts 1–4 stored, parts 5–6 under way.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { open, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { DEFAULT_PART_PLAINTEXT } from '../../src/layout.ts';
import { sha256File, writeRandomFile } from '../support/files.ts';
import type { FaultPlan } from '../support/recording-proxy.ts';
import { PREFIX, type Stack, startStack } from '../support/stack.ts';
import { DownloadPage, expect, test } from './fixtures.ts';
import { downloadedHash, UploadPage } from './pages.ts';

const PARTS = 6;
const SIZE = PARTS * DEFAULT_PART_PLAINTEXT - 1234;
const HELD = [5, 6];
const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-resume-'));

const partNumberOf = (url: string) => Number(new URL(url, 'http://x').searchParams.get('partNumber'));

/** Holds part PUTs numbered HELD (a black hole) while closed. */
function partGate() {
  let closed = true;
  const plan: FaultPlan = ({ method, url }) => (closed && method === 'PUT' && HELD.includes(partNumberOf(url)) ? 'hang' : null);
  return {
    plan,
    open: () => {
      closed = false;
    },
    close: () => {
      closed = true;
    },
  };
}

/** Part numbers the store received whole, one entry per PUT, for uploads since `since` records. */
const storedParts = (stack: Stack, since = 0) =>
  stack.s3Proxy.records
    .slice(since)
    .filter((r) => r.method === 'PUT' && r.url.includes('partNumber='))
    .map((r) => partNumberOf(r.url))
    .sort((a, b) => a - b);

/** Starts `file` and waits until parts 1–4 are stored and saved, with 5 and 6 hanging. */
async function uploadUntilHeld(uploader: UploadPage, stack: Stack, file: string, since: number) {
  const name = path.basename(file);
  await uploader.choose(file);
  await expect.poll(() => storedParts(stack, since)).toEqual([1, 2, 3, 4]);
  await expect.poll(async () => (await uploader.savedUploads()).map((s) => s.done)).toEqual([[1, 2, 3, 4]]);
  await expect(uploader.status(name)).toContainText('Encrypting and uploading: 66%');
}

let stack: Stack;
let gate: ReturnType<typeof partGate>;
test.beforeEach(async () => {
  gate = partGate();
  stack = await startStack({ s3Faults: gate.plan });
});
test.afterEach(async () => {
  await stack.stop();
});

test('pause stops the parts under way; resume sends only the rest, and the file round-trips', async ({ browser, page }) => {
  test.setTimeout(180_000);
  const file = path.join(dir, 'pausing.bin');
  const hash = await writeRandomFile(file, SIZE);
  const uploader = new UploadPage(page, stack.appUrl);
  await uploader.goto();
  await uploadUntilHeld(uploader, stack, file, 0);

  await uploader.control('Pause', 'pausing.bin').click();
  await expect(uploader.status('pausing.bin')).toHaveText('Paused at 66%');
  // Paused means nothing is sent: with the gate open, no part reaches the store for a while.
  gate.open();
  await page.waitForTimeout(1500);
  expect(storedParts(stack)).toEqual([1, 2, 3, 4]);
  expect((await uploader.savedUploads())[0].done).toEqual([1, 2, 3, 4]);

  await uploader.control('Resume', 'pausing.bin').click();
  const link = await uploader.shareLink('pausing.bin');
  // Every part reached the store exactly once: nothing acknowledged before the pause was sent again.
  expect(storedParts(stack)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(await uploader.savedUploads()).toEqual([]);
  expect(await downloadedHash(browser, link)).toBe(hash);
});

test('reload mid-upload, pick the file again: it continues with the same key and round-trips; a changed file starts afresh with a new key', async ({
  browser,
  page,
}) => {
  test.setTimeout(240_000);
  const uploader = new UploadPage(page, stack.appUrl);
  await uploader.goto();

  const same = path.join(dir, 'resumed.bin');
  const hash = await writeRandomFile(same, SIZE);
  await uploadUntilHeld(uploader, stack, same, 0);
  const [saved] = await uploader.savedUploads();
  await page.reload();
  await expect(uploader.status('resumed.bin')).toHaveText('Unfinished at 66%: choose or drop this file again to continue');
  gate.open();
  await uploader.choose(same);
  const link = new URL(await uploader.shareLink('resumed.bin'));
  // The same upload, finished: same id, same key (the link secret is the key's root).
  expect(link.pathname).toBe(`/d/${saved.id}`);
  expect(link.hash.slice(1)).toBe(saved.secret);
  expect(storedParts(stack)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(await uploader.savedUploads()).toEqual([]);
  expect(await downloadedHash(browser, link.href)).toBe(hash);

  // Now a file that changes while its upload is interrupted: same name, same size, same time.
  gate.close();
  const changing = path.join(dir, 'changing.bin');
  await writeRandomFile(changing, SIZE);
  const since = stack.s3Proxy.records.length;
  await uploadUntilHeld(uploader, stack, changing, since);
  const [old] = await uploader.savedUploads();
  await page.reload();
  await expect(uploader.status('changing.bin')).toContainText('Unfinished at 66%');
  const { mtime } = await stat(changing);
  const handle = await open(changing, 'r+');
  await handle.write(Buffer.from('this file was edited after its upload was interrupted'), 0, undefined, 4096);
  await handle.close();
  await utimes(changing, mtime, mtime);
  const changedHash = await sha256File(changing);
  gate.open();
  await uploader.choose(changing);
  await expect(page.getByText('This file changed since its upload was interrupted')).toBeVisible();
  const fresh = new URL(await uploader.shareLink('changing.bin'));
  expect(fresh.pathname).not.toBe(`/d/${old.id}`);
  expect(fresh.hash.slice(1)).not.toBe(old.secret);
  // The old upload was aborted, not left in the bucket; the new one sent all six parts.
  expect(stack.appProxy.records.some((r) => r.method === 'POST' && r.url === `/api/uploads/${old.id}/abort`)).toBe(true);
  expect(storedParts(stack, since)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 6]);
  expect(await uploader.savedUploads()).toEqual([]);
  expect(await downloadedHash(browser, fresh.href)).toBe(changedHash);
  if (stack.backend === 'external') {
    const uploads = await stack.s3.send(new ListMultipartUploadsCommand({ Bucket: stack.bucket, Prefix: `${PREFIX}${old.id}/` }));
    expect(uploads.Uploads ?? []).toEqual([]);
  }
});

test('cancel mid-upload aborts the multipart upload: nothing is left in the store and the link opens nothing', async ({ page }) => {
  test.setTimeout(180_000);
  const file = path.join(dir, 'cancelled.bin');
  await writeRandomFile(file, SIZE);
  const uploader = new UploadPage(page, stack.appUrl);
  await uploader.goto();
  await uploadUntilHeld(uploader, stack, file, 0);
  const [saved] = await uploader.savedUploads();
  await uploader.control('Cancel', 'cancelled.bin').click();
  await expect(uploader.status('cancelled.bin')).toHaveText('Cancelled');
  await expect.poll(() => uploader.savedUploads()).toEqual([]);
  expect(stack.appProxy.records.some((r) => r.url === `/api/uploads/${saved.id}/abort`)).toBe(true);
  await expect(stack.getObject(saved.id, 'meta')).rejects.toThrow();
  if (stack.backend === 'external') {
    // A store with ListMultipartUploads (Ceph RGW): no unfinished upload of this file remains.
    const uploads = await stack.s3.send(new ListMultipartUploadsCommand({ Bucket: stack.bucket, Prefix: `${PREFIX}${saved.id}/` }));
    expect(uploads.Uploads ?? []).toEqual([]);
  }
  const viewer = new DownloadPage(page);
  await viewer.open(`${stack.appUrl}/d/${saved.id}#${saved.secret}`);
  await expect(viewer.alert()).toContainText('does not exist');
});

test('a folder chosen with "a link for each file" uploads with its paths; every file gets a link and a QR code', async ({ browser, page }) => {
  gate.open();
  const folder = path.join(dir, 'album');
  mkdirSync(path.join(folder, 'raw'), { recursive: true });
  const files = { 'album/cover.bin': 70_000, 'album/raw/take-1.bin': 5_000_000, 'album/raw/notes.txt': 12 };
  const hashes: Record<string, string> = {};
  for (const [rel, size] of Object.entries(files)) hashes[rel] = await writeRandomFile(path.join(dir, rel), size);
  const uploader = new UploadPage(page, stack.appUrl);
  await uploader.goto();
  // A folder gets one link by default (test/e2e/sets.spec.ts); here each file gets its own.
  await page.getByLabel('Several files').selectOption({ label: 'A link for each file' });
  await uploader.chooseFolder(folder);
  for (const rel of Object.keys(files)) await expect(uploader.status(rel)).toHaveText('Done: encrypted and uploaded');
  const take = path.basename('album/raw/take-1.bin');
  await page.getByRole('button', { name: `QR code for ${take}` }).click();
  await expect(page.getByRole('img', { name: `QR code of the share link for ${take}` })).toBeVisible();
  const link = await uploader.shareLink(take);
  expect(await downloadedHash(browser, link)).toBe(hashes['album/raw/take-1.bin']);
});
