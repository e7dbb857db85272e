/** Several files chosen at once — an empty one and one of exactly one part — all round-trip. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_PART_PLAINTEXT } from '../../src/layout.ts';
import { sha256File, writeRandomFile } from '../support/files.ts';
import { DownloadPage, expect, test } from './fixtures.ts';

test('three files at once, one empty and one of exactly one part size, each round-trips', async ({ browser, uploadPage }) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-several-'));
  const files = [
    { name: 'empty.bin', size: 0 },
    { name: 'one-part.bin', size: DEFAULT_PART_PLAINTEXT },
    { name: 'small.bin', size: 12_345 },
  ].map((f) => ({ ...f, path: path.join(dir, f.name) }));
  const hashes = await Promise.all(files.map((f) => writeRandomFile(f.path, f.size)));
  await uploadPage.goto();
  await uploadPage.choose(...files.map((f) => f.path));
  const links = [];
  for (const f of files) links.push(await uploadPage.shareLink(f.name));
  expect(new Set(links).size).toBe(3);

  const context = await browser.newContext();
  for (const [i, f] of files.entries()) {
    const viewer = new DownloadPage(await context.newPage());
    await viewer.open(links[i]);
    await expect(viewer.fileName()).toHaveText(f.name);
    const download = await viewer.download();
    const saved = path.join(dir, `out-${f.name}`);
    await download.saveAs(saved);
    expect(await download.failure()).toBeNull();
    expect(await sha256File(saved), f.name).toBe(hashes[i]);
    await viewer.page.close();
  }
  await context.close();
});
