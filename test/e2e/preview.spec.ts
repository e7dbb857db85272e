/** Small images and text preview in the page, decrypted and verified like a download; HTML never renders. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makePng } from '../support/png.ts';
import { DownloadPage, expect, test } from './fixtures.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-preview-'));

test('an image previews at its real size, text shows as text, and HTML is download-only', async ({ browser, uploadPage }) => {
  const png = path.join(dir, 'dot.png');
  writeFileSync(png, makePng(37, 23, [200, 30, 40]));
  const txt = path.join(dir, 'notes.txt');
  writeFileSync(txt, 'hello from a <b>preview</b>\nsecond line\n');
  const html = path.join(dir, 'page.html');
  writeFileSync(html, '<script>document.title = "pwned"</script>');
  const links = [await uploadPage.share(png), await uploadPage.share(txt), await uploadPage.share(html)].map((s) => s.link);

  const context = await browser.newContext();
  const viewer = new DownloadPage(await context.newPage());
  await viewer.open(links[0]);
  await viewer.page.getByRole('button', { name: 'Preview' }).click();
  const image = viewer.page.getByRole('img', { name: 'dot.png' });
  await expect(image).toBeVisible();
  expect(await image.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([37, 23]);

  await viewer.open(links[1]);
  await viewer.page.getByRole('button', { name: 'Preview' }).click();
  await expect(viewer.page.getByRole('region', { name: 'Preview of notes.txt' })).toHaveText('hello from a <b>preview</b>\nsecond line\n');

  await viewer.open(links[2]);
  await expect(viewer.fileName()).toHaveText('page.html');
  await expect(viewer.page.getByRole('button', { name: 'Download' })).toBeVisible();
  await expect(viewer.page.getByRole('button', { name: 'Preview' })).toHaveCount(0);
  expect(await viewer.page.title()).toBe('Cipherdrop');
  await context.close();
});
