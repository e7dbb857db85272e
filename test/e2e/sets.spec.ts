/**
 * One link for many files (docs/SETS.md) in the real page: a folder with nested subfolders, an
 * empty file and a 150 MiB member behind one link; the recipient downloads it as one ZIP that an
 * independent reader (`unzip`) verifies and extracts byte-exact; a folder download through the
 * directory-picker path; a tampered member fails the whole archive, naming the member; and the
 * recorder proves no name or path left the browser. A set reloaded mid-way asks for its folder
 * again and finishes under the same link, sending only the parts not stored before.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { sha256File, writeRandomTree } from '../support/files.ts';
import type { FaultPlan } from '../support/recording-proxy.ts';
import { PREFIX, type Stack, startStack } from '../support/stack.ts';
import { expect, test } from './fixtures.ts';
import { UploadPage } from './pages.ts';

const MiB = 1024 * 1024;

async function shareFolder(uploadPage: UploadPage, folder: string): Promise<string> {
  await uploadPage.goto();
  await uploadPage.chooseFolder(folder);
  return uploadPage.shareLink(path.basename(folder));
}

/** Every object the set left in the store. */
async function storedObjects(stack: Stack, setId: string): Promise<{ key: string; body: Buffer }[]> {
  const listed = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: `${PREFIX}sets/${setId}/` }));
  const out: { key: string; body: Buffer }[] = [];
  for (const o of listed.Contents ?? []) {
    const got = await stack.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: o.Key }));
    out.push({ key: o.Key as string, body: Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()) });
  }
  return out;
}

test('a folder behind one link, downloaded as one ZIP that unzip verifies and extracts byte-exact; no name or path left the browser', async ({
  browser,
  uploadPage,
  stack,
}) => {
  test.setTimeout(8 * 60_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-set-'));
  const folder = path.join(dir, 'holiday-album-2026');
  const files = {
    'readme-first.txt': 1234,
    'empty-note.txt': 0,
    'beach/sunset-over-water.jpg': 300 * 1024,
    'beach/evening/bonfire-clip.mp4': 2 * MiB + 7,
    'mountains/whole-trip-footage.mov': 150 * MiB + 3,
  };
  const hashes = await writeRandomTree(folder, files);
  const link = await shareFolder(uploadPage, folder);
  const { pathname, hash } = new URL(link);
  expect(pathname).toMatch(/^\/s\/[A-Za-z0-9_-]{22}$/);
  const setId = pathname.split('/')[2];

  const context = await browser.newContext({ acceptDownloads: true });
  const viewer = await context.newPage();
  await viewer.goto(link);
  await expect(viewer.getByRole('heading', { level: 2 })).toHaveText(/5 files/);
  await expect(viewer.getByText('mountains/')).toBeVisible();
  const [download] = await Promise.all([viewer.waitForEvent('download'), viewer.getByRole('button', { name: 'Download all as ZIP' }).click()]);
  const zip = path.join(dir, 'all.zip');
  await download.saveAs(zip);
  expect(await download.failure()).toBeNull();
  await expect(viewer.getByRole('status')).toHaveText('Saved as one ZIP, every file verified.');
  await context.close();

  execFileSync('unzip', ['-tq', zip]);
  const out = path.join(dir, 'extracted');
  execFileSync('unzip', ['-q', zip, '-d', out]);
  // The folder as picked is the archive's top folder.
  for (const [rel, sha] of hashes) expect(await sha256File(path.join(out, 'holiday-album-2026', rel)), rel).toBe(sha);

  // Nothing that left a browser, nor anything stored, names a file or a folder, or holds the key.
  const names = [...Object.keys(files).flatMap((rel) => rel.split('/')), 'holiday-album-2026'];
  const secret = hash.slice(1);
  const recorded = [...stack.appProxy.records, ...stack.s3Proxy.records];
  for (const r of recorded) {
    const text = `${r.method} ${r.url}\n${JSON.stringify(r.headers)}`;
    for (const value of [...names, secret]) {
      expect(text.includes(value), `${value} in ${r.method} ${r.url}`).toBe(false);
      expect(r.body.includes(value), `${value} in the body of ${r.method} ${r.url}`).toBe(false);
    }
  }
  const stored = await storedObjects(stack, setId);
  expect(stored.length).toBeGreaterThanOrEqual(3);
  for (const o of stored) for (const name of names) expect(o.body.includes(name), `${name} in ${o.key}`).toBe(false);
});

test('into a folder through the directory-picker path: the tree recreated, every file verified', async ({ browser, uploadPage }) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-set-folder-'));
  const folder = path.join(dir, 'project');
  const files = { 'a.txt': 10, 'src/main.ts': 2048, 'src/deep/er/data.bin': 1.5 * MiB };
  const hashes = await writeRandomTree(folder, files);
  const link = await shareFolder(uploadPage, folder);

  const context = await browser.newContext();
  // Nobody can answer the picker's dialog under automation: it hands back a real directory of
  // this origin's private file system instead, and everything after it runs as for a person.
  await context.addInitScript(() => {
    Object.assign(window, {
      showDirectoryPicker: async () => (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true }),
    });
  });
  const viewer = await context.newPage();
  await viewer.goto(link);
  await viewer.getByRole('button', { name: 'Download into a folder…' }).click();
  await expect(viewer.getByRole('status')).toHaveText('Saved into the folder and verified.');
  const written = await viewer.evaluate(async () => {
    const out: Record<string, string> = {};
    const walk = async (dir: FileSystemDirectoryHandle, prefix: string) => {
      for await (const [name, handle] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) {
        if (handle.kind === 'directory') await walk(handle as FileSystemDirectoryHandle, `${prefix}${name}/`);
        else {
          const bytes = await (await (handle as FileSystemFileHandle).getFile()).arrayBuffer();
          out[`${prefix}${name}`] = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
        }
      }
    };
    await walk(await (await navigator.storage.getDirectory()).getDirectoryHandle('picked'), '');
    return out;
  });
  expect(written).toEqual(Object.fromEntries([...hashes].map(([rel, sha]) => [`project/${rel}`, sha])));
  await context.close();
});

test('a tampered member fails the whole archive and the page names it', async ({ browser, uploadPage, stack }) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-set-tamper-'));
  const folder = path.join(dir, 'reports');
  // Over the pack limit (4 MiB): each has a blob of its own.
  await writeRandomTree(folder, { 'q1-results.pdf': 5 * MiB, 'q2-results.pdf': 5 * MiB });
  const link = await shareFolder(uploadPage, folder);
  const setId = new URL(link).pathname.split('/')[2];
  // The storage flips one byte in the middle of each blob's ciphertext.
  const blobs = (await storedObjects(stack, setId)).filter((o) => o.key.endsWith('/data')).sort((a, b) => a.key.localeCompare(b.key));
  expect(blobs).toHaveLength(2);
  for (const victim of blobs) {
    const bytes = Buffer.from(victim.body);
    bytes[Math.floor(bytes.length / 2)] ^= 1;
    await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: victim.key, Body: bytes }));
  }

  const context = await browser.newContext({ acceptDownloads: true });
  const viewer = await context.newPage();
  await viewer.goto(link);
  const [download] = await Promise.all([viewer.waitForEvent('download'), viewer.getByRole('button', { name: 'Download all as ZIP' }).click()]);
  await expect(viewer.getByRole('alert')).toContainText('q1-results.pdf');
  await expect(viewer.getByRole('alert')).toContainText('damaged or was tampered with');
  expect(await download.failure()).not.toBeNull();
  await context.close();
});

/** Part numbers the store received, one entry per PUT. */
const storedParts = (stack: Stack) =>
  stack.s3Proxy.records
    .filter((r) => r.method === 'PUT' && r.url.includes('partNumber='))
    .map((r) => Number(new URL(r.url, 'http://x').searchParams.get('partNumber')))
    .sort((a, b) => a - b);

/** The unfinished sets the page keeps in IndexedDB (set-resume.ts), as the page sees them. */
const savedSets = async (uploader: UploadPage) =>
  (await uploader.savedRecords<{ id: string; secret: string; blobs: { result?: unknown }[] }>('unfinished-sets')).map((s) => ({
    id: s.id,
    secret: s.secret,
    complete: s.blobs.filter((b) => b.result).length,
  }));

test('reload mid-way through a set, choose the folder again: it finishes under the same link, only the parts left are sent, byte-exact, no name left the browser', async ({
  browser,
  page,
}) => {
  test.setTimeout(8 * 60_000);
  // Parts 3 and up hang (a black hole) until the gate opens: the big file stops after two parts.
  let closed = true;
  const plan: FaultPlan = ({ method, url }) =>
    closed && method === 'PUT' && Number(new URL(url, 'http://x').searchParams.get('partNumber')) >= 3 ? 'hang' : null;
  const stack = await startStack({ s3Faults: plan });
  try {
    const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-set-reload-'));
    const folder = path.join(dir, 'expedition-logs');
    const files = { 'route-itinerary.txt': 2048, 'basecamp-photos/tent-at-dawn.jpg': 300 * 1024, 'footage/glacier-crossing.mov': 70 * MiB + 11 };
    const hashes = await writeRandomTree(folder, files);
    const uploader = new UploadPage(page, stack.appUrl);
    await uploader.goto();
    await uploader.chooseFolder(folder);
    // The pack (one part) and the big file's parts 1 and 2 are stored, and saved.
    await expect.poll(() => storedParts(stack), { timeout: 120_000 }).toEqual([1, 1, 2]);
    await expect.poll(async () => (await uploader.savedUploads()).map((s) => s.done)).toEqual([[1, 2]]);
    await expect.poll(async () => (await savedSets(uploader)).map((s) => s.complete)).toEqual([1]);
    const [saved] = await savedSets(uploader);

    await page.reload();
    const row = page.getByRole('listitem').filter({ hasText: 'expedition-logs' });
    await expect(row.getByRole('status')).toHaveText(/^Unfinished at \d+%: choose this folder again to continue$/);
    await expect(row.getByRole('button', { name: 'Choose expedition-logs again' })).toBeVisible();
    closed = false;
    // The row's folder input (the button opens it, or the directory picker where there is one).
    await row.locator('input[type=file]').setInputFiles(folder);
    const link = new URL(await uploader.shareLink('expedition-logs'));
    expect(link.pathname).toBe(`/s/${saved.id}`);
    expect(link.hash.slice(1)).toBe(saved.secret);
    // Each part reached the store once: nothing stored before the reload was sent again.
    expect(storedParts(stack)).toEqual([1, 1, 2, 3, 4, 5]);
    await expect.poll(() => savedSets(uploader)).toEqual([]);
    expect(await uploader.savedUploads()).toEqual([]);

    const context = await browser.newContext({ acceptDownloads: true });
    const viewer = await context.newPage();
    await viewer.goto(link.href);
    await expect(viewer.getByRole('heading', { level: 2 })).toHaveText(/3 files/);
    const [download] = await Promise.all([viewer.waitForEvent('download'), viewer.getByRole('button', { name: 'Download all as ZIP' }).click()]);
    const zip = path.join(dir, 'all.zip');
    await download.saveAs(zip);
    await expect(viewer.getByRole('status')).toHaveText('Saved as one ZIP, every file verified.');
    await context.close();
    const out = path.join(dir, 'extracted');
    execFileSync('unzip', ['-q', zip, '-d', out]);
    for (const [rel, sha] of hashes) expect(await sha256File(path.join(out, 'expedition-logs', rel)), rel).toBe(sha);

    const names = [...Object.keys(files).flatMap((rel) => rel.split('/')), 'expedition-logs'];
    for (const r of [...stack.appProxy.records, ...stack.s3Proxy.records]) {
      const text = `${r.method} ${r.url}\n${JSON.stringify(r.headers)}`;
      for (const value of [...names, saved.secret]) {
        expect(text.includes(value), `${value} in ${r.method} ${r.url}`).toBe(false);
        expect(r.body.includes(value), `${value} in the body of ${r.method} ${r.url}`).toBe(false);
      }
    }
  } finally {
    await stack.stop();
  }
});

test('where there is showDirectoryPicker, "Choose a folder" walks the folder: its empty folders are in the set', async ({ browser, uploadPage }) => {
  const page = uploadPage.page;
  // Nobody can answer the picker's dialog under automation: it hands back a real directory of
  // this origin's private file system, with two files and two empty folders.
  await page.addInitScript(() => {
    Object.assign(window, {
      showDirectoryPicker: async () => {
        const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('field-notes', { create: true });
        const write = async (dir: FileSystemDirectoryHandle, name: string, text: string) => {
          const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
          await writable.write(text);
          await writable.close();
        };
        await write(root, 'summary.txt', 'what we saw');
        await write(await root.getDirectoryHandle('sketches', { create: true }), 'ridge.svg', '<svg/>');
        await root.getDirectoryHandle('empty-drafts', { create: true });
        await (await root.getDirectoryHandle('sketches')).getDirectoryHandle('unsorted', { create: true });
        return root;
      },
    });
  });
  await uploadPage.goto();
  await page.locator('label', { hasText: 'Choose a folder' }).click();
  const link = await uploadPage.shareLink('field-notes');

  const context = await browser.newContext();
  const viewer = await context.newPage();
  await viewer.goto(link);
  await expect(viewer.getByRole('heading', { level: 2 })).toHaveText(/2 files/);
  await expect(viewer.getByText('empty-drafts/')).toBeVisible();
  await expect(viewer.getByText('unsorted/')).toBeVisible();
  await context.close();
});
