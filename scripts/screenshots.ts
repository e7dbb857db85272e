/**
 * `npx tsx scripts/screenshots.ts`: the README's screenshots of the upload page, mid-upload and
 * done, at desktop width and at 360 px. Real uploads against the embedded store; the store-side
 * test proxy holds the last parts of the big file so "mid-upload" is a steady picture.
 * Needs a build (`npm run build`). Writes docs/screenshots/*.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../playwright.config.ts';
import { DEFAULT_PART_PLAINTEXT } from '../src/layout.ts';
import { writeRandomFile } from '../test/support/files.ts';
import { startStack } from '../test/support/stack.ts';

const OUT = path.resolve('docs/screenshots');
const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-shots-'));
let holding = true;
const stack = await startStack({
  s3Faults: ({ method, url }) =>
    holding && method === 'PUT' && url.includes('/data') && ['5', '6'].includes(new URL(url, 'http://x').searchParams.get('partNumber') ?? '') ? 'hang' : null,
});
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  mkdirSync(OUT, { recursive: true });
  const files = {
    'holiday-film.mp4': 6 * DEFAULT_PART_PLAINTEXT - 4321,
    'tax-return-2026.pdf': 2_400_000,
    'notes.txt': 3_000,
  };
  for (const [name, size] of Object.entries(files)) await writeRandomFile(path.join(dir, name), size);

  const shoot = async (page: Page, name: string) => {
    await page.screenshot({ path: path.join(OUT, name), fullPage: true });
    console.log(`wrote docs/screenshots/${name}`);
  };
  for (const [width, suffix] of [
    [900, ''],
    [360, '-360'],
  ] as const) {
    holding = true;
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(stack.appUrl);
    await page.getByLabel('Password (optional)').fill('correct horse battery staple');
    await page.getByLabel('Choose files').setInputFiles(Object.keys(files).map((f) => path.join(dir, f)));
    await page.getByRole('status').filter({ hasText: 'Encrypting and uploading: 66%' }).waitFor();
    await page.getByRole('textbox', { name: 'Share link for notes.txt' }).waitFor();
    await page.getByRole('button', { name: 'QR code for notes.txt' }).click();
    await page.waitForTimeout(800);
    await shoot(page, `upload-in-progress${suffix}.png`);
    holding = false;
    await page.getByRole('button', { name: 'Pause holiday-film.mp4' }).click();
    await page.getByRole('button', { name: 'Resume holiday-film.mp4' }).click();
    await page.getByRole('textbox', { name: 'Share link for holiday-film.mp4' }).waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'QR code for notes.txt' }).click();
    await shoot(page, `upload-done${suffix}.png`);
    await page.close();
  }
} finally {
  await browser.close();
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}
