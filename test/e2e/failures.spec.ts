/**
 * Bad input ends in a clear message and never in a file: tampered, truncated and swapped
 * objects, wrong and malformed keys, unknown ids — each through the real page and store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Download } from '@playwright/test';
import { toBase64Url } from '../../src/crypto/bytes.ts';
import { parseCompleteHeader, regularFrameSize } from '../../src/crypto/format.ts';
import { writeRandomFile } from '../support/files.ts';
import { ABUSE_CONTACT } from '../support/stack.ts';
import { DownloadPage, expect, test } from './fixtures.ts';

const MiB = 1024 * 1024;
const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-failures-'));

async function viewer(browser: import('@playwright/test').Browser, link: string) {
  const context = await browser.newContext();
  const page = new DownloadPage(await context.newPage());
  const downloads: Download[] = [];
  page.page.on('download', (d) => downloads.push(d));
  await page.open(link);
  return { page, downloads, close: () => context.close() };
}

test('a flipped byte in frame 3 of the stored data is reported as corruption, and the download fails', async ({ browser, uploadPage, stack }) => {
  const file = path.join(dir, 'tamper.bin');
  await writeRandomFile(file, 3 * MiB + 5);
  const { link, id } = await uploadPage.share(file);
  const data = await stack.getObject(id, 'data');
  const header = parseCompleteHeader(data);
  data[header.length + 2 * regularFrameSize(header.frameLength) + 100] ^= 0x01;
  await stack.putObject(id, 'data', data);

  const v = await viewer(browser, link);
  await expect(v.page.fileName()).toHaveText('tamper.bin');
  await v.page.page.getByRole('button', { name: 'Download' }).click();
  await expect(v.page.alert()).toHaveText('The file is damaged or was tampered with: corrupted at frame 3. Nothing was saved.');
  // The browser download had started before the damaged range was read; the page errored its stream, so it failed.
  await expect.poll(() => v.downloads.length).toBe(1);
  expect(await v.downloads[0].failure()).not.toBeNull();
  await v.close();
});

test('a truncated data object is reported before any download starts', async ({ browser, uploadPage, stack }) => {
  const file = path.join(dir, 'truncate.bin');
  await writeRandomFile(file, MiB + 3);
  const { link, id } = await uploadPage.share(file);
  const data = await stack.getObject(id, 'data');
  await stack.putObject(id, 'data', data.subarray(0, data.byteLength - 1000));

  const v = await viewer(browser, link);
  await v.page.page.getByRole('button', { name: 'Download' }).click();
  await expect(v.page.alert()).toHaveText('The stored file is incomplete (truncated). Nothing was saved.');
  expect(v.downloads).toHaveLength(0);
  await v.close();
});

test('a wrong key, a malformed fragment and an unknown id each get their own message', async ({ browser, uploadPage, stack }) => {
  const file = path.join(dir, 'keys.bin');
  await writeRandomFile(file, 1000);
  const { id } = await uploadPage.share(file);
  const otherKey = toBase64Url(new Uint8Array(32).fill(7));
  const cases: [string, string][] = [
    [`${stack.appUrl}/d/${id}#${otherKey}`, "This link's key does not open the file. Check that you copied the whole link, including the part after #."],
    [`${stack.appUrl}/d/${id}#abc`, 'This link is incomplete or damaged. Check that it was copied whole, including the part after #.'],
    [`${stack.appUrl}/d/${id}`, 'This link is incomplete or damaged. Check that it was copied whole, including the part after #.'],
    [`${stack.appUrl}/d/BBBBBBBBBBBBBBBBBBBBBB#${otherKey}`, 'This file does not exist: it was never finished, has expired, or was deleted.'],
  ];
  for (const [link, message] of cases) {
    const v = await viewer(browser, link);
    await expect(v.page.alert()).toHaveText(message);
    await expect(v.page.page.getByRole('button', { name: 'Download' })).toHaveCount(0);
    await v.close();
  }
});

test("another upload's meta object swapped in is refused as not belonging to the link", async ({ browser, uploadPage, stack }) => {
  const a = path.join(dir, 'a.txt');
  const b = path.join(dir, 'b.txt');
  await writeRandomFile(a, 2000);
  await writeRandomFile(b, 2000);
  const first = await uploadPage.share(a);
  const second = await uploadPage.share(b);
  await stack.putObject(first.id, 'meta', await stack.getObject(second.id, 'meta'));

  const v = await viewer(browser, first.link);
  await expect(v.page.alert()).toHaveText('The stored objects do not belong to this link (they were swapped or replaced). Nothing was saved.');
  // The operator's abuse contact is offered, naming the file id and never the secret.
  const report = v.page.page.getByRole('link', { name: 'Report abuse' });
  await expect(report).toHaveAttribute('href', `${ABUSE_CONTACT}?subject=${encodeURIComponent(`Cipherdrop abuse report: file ${first.id}`)}`);
  await v.close();
});
