/**
 * `npx tsx scripts/screenshots.ts`: the README's screenshots of the upload page, mid-upload and
 * done, at desktop width and at 360 px. Real uploads against the embedded store; the store-side
 * test proxy holds the last parts of the big file so "mid-upload" is a steady picture.
 * With `--requests`, instead: a file request as its requester, its sender and its inbox see it;
 * with `--sets`: a folder shared as one link, on the upload page and as its recipient sees it.
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

  const shoot = async (page: Page, name: string) => {
    await page.screenshot({ path: path.join(OUT, name), fullPage: true });
    console.log(`wrote docs/screenshots/${name}`);
  };
  if (process.argv.includes('--requests')) await requestShots(shoot);
  else if (process.argv.includes('--sets')) await setShots(shoot);
  else await uploadShots(shoot);
} finally {
  await browser.close();
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}

async function uploadShots(shoot: (page: Page, name: string) => Promise<void>) {
  const files = {
    'holiday-film.mp4': 6 * DEFAULT_PART_PLAINTEXT - 4321,
    'tax-return-2026.pdf': 2_400_000,
    'notes.txt': 3_000,
  };
  for (const [name, size] of Object.entries(files)) await writeRandomFile(path.join(dir, name), size);
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
}

async function requestShots(shoot: (page: Page, name: string) => Promise<void>) {
  holding = false;
  const files = { 'passport-scan.pdf': 3_100_000, 'payslip-october.pdf': 240_000, 'payslip-november.pdf': 251_000 };
  for (const [name, size] of Object.entries(files)) await writeRandomFile(path.join(dir, name), size);
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  await page.goto(`${stack.appUrl}/request`);
  await page.getByLabel('Title').fill('Documents for the flat application');
  await page.getByLabel('Note (optional)').fill('Your passport and the last two payslips, please. — Maria, Lakeside Lettings');
  await page.getByLabel('At most this many files (optional)').fill('10');
  await page.getByRole('button', { name: 'Create the request' }).click();
  const requestLink = await page.getByRole('textbox', { name: 'Request link' }).inputValue();
  const inboxLink = await page.getByRole('textbox', { name: 'Inbox link' }).inputValue();
  await shoot(page, 'request-created.png');
  const sender = await browser.newPage({ viewport: { width: 900, height: 900 } });
  await sender.goto(requestLink);
  await sender.getByLabel('Message to the requester').fill('Here they are. The passport scan is both pages. — Tom');
  await sender.getByLabel('Choose files').setInputFiles(Object.keys(files).map((f) => path.join(dir, f)));
  for (const name of Object.keys(files)) await sender.getByRole('listitem').filter({ hasText: name }).getByText('Sent:').waitFor({ timeout: 120_000 });
  await shoot(sender, 'request-sent.png');
  await page.goto(inboxLink);
  await page.getByRole('list', { name: 'Received files' }).waitFor();
  await shoot(page, 'request-inbox.png');
}

async function setShots(shoot: (page: Page, name: string) => Promise<void>) {
  holding = false;
  const root = path.join(dir, 'Wedding photos');
  const files: Record<string, number> = {
    'ceremony/IMG_0412.jpg': 3_400_000,
    'ceremony/IMG_0413.jpg': 3_100_000,
    'ceremony/vows.m4a': 5_200_000,
    'reception/IMG_0501.jpg': 2_900_000,
    'reception/first-dance.mp4': 24_000_000,
    'reception/speeches/best-man.txt': 4_200,
    'guest list.pdf': 180_000,
  };
  for (const [rel, size] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    await writeRandomFile(path.join(root, rel), size);
  }
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  await page.goto(stack.appUrl);
  await page.getByLabel('Choose a folder').setInputFiles(root);
  const field = page.getByRole('textbox', { name: 'Share link for Wedding photos' });
  await field.waitFor({ timeout: 120_000 });
  await shoot(page, 'set-shared.png');
  const viewer = await browser.newPage({ viewport: { width: 900, height: 1000 } });
  await viewer.goto(await field.inputValue());
  await viewer.getByRole('button', { name: 'Download all as ZIP' }).waitFor();
  await viewer.getByRole('checkbox', { name: 'Select the folder ceremony' }).check();
  await shoot(viewer, 'set-recipient.png');
}
