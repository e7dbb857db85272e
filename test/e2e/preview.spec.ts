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

/** A one-page PDF with a line of text, written out by hand (offsets computed). */
function makePdf(text: string): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${`BT /F1 18 Tf 20 70 Td (${text}) Tj ET`.length} >>\nstream\nBT /F1 18 Tf 20 70 Td (${text}) Tj ET\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = objects.map((body, i) => {
    const at = pdf.length;
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

test("a PDF previews in the browser's own viewer from a verified application/pdf Blob", async ({ browser, uploadPage }) => {
  const pdf = path.join(dir, 'letter.pdf');
  const bytes = makePdf('Hello from Cipherdrop');
  writeFileSync(pdf, bytes);
  const { link } = await uploadPage.share(pdf);
  const context = await browser.newContext();
  const viewer = new DownloadPage(await context.newPage());
  await viewer.open(link);
  await viewer.page.getByRole('button', { name: 'Preview' }).click();
  const frame = viewer.page.getByTitle('Preview of letter.pdf');
  await expect(frame).toBeVisible();
  const src = await frame.evaluate((f: HTMLIFrameElement) => f.src);
  expect(src).toMatch(/^blob:/);
  // The frame navigated to the Blob (the CSP allows blob: frames; a refused one shows an error page).
  await expect.poll(() => viewer.page.frames().map((f) => f.url())).toContain(src);
  const inner = viewer.page.frames().find((f) => f.url() === src);
  // Chromium's own PDF viewer holds it: the document is typed application/pdf, whatever the uploader claimed.
  expect(await inner?.evaluate(() => document.contentType)).toBe('application/pdf');
  await context.close();
});
