/** The page and the CLI are one product: each downloads what the other uploaded, passwords included. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../support/cli.ts';
import { sha256File, writeRandomFile, writeRandomTree } from '../support/files.ts';
import { DownloadPage, expect, test } from './fixtures.ts';

const MiB = 1024 * 1024;
const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-interop-'));

test('a file uploaded in the browser with a password is downloaded by the CLI', async ({ uploadPage }) => {
  const file = path.join(dir, 'from-browser.bin');
  const sha = await writeRandomFile(file, 9 * MiB + 17);
  const { link } = await uploadPage.share(file, { password: 'tr0ub4dor&3', expiry: '1 day' });
  await expect(uploadPage.page.getByText('expires in 24 h · the recipient also needs the password')).toBeVisible();
  const out = path.join(dir, 'cli-out.bin');
  expect((await runCli(['download', link, '-o', out])).code).toBe(5);
  const ok = await runCli(['download', link, '-o', out], { CIPHERDROP_PASSWORD: 'tr0ub4dor&3' });
  expect(ok.stderr).toContain('verified');
  expect(ok.code).toBe(0);
  expect(await sha256File(out)).toBe(sha);
});

test('a file uploaded by the CLI with a password opens in the browser after the password prompt', async ({ browser, stack }) => {
  const file = path.join(dir, 'from-cli.bin');
  const sha = await writeRandomFile(file, 6 * MiB + 5);
  const up = await runCli(['upload', file, '--password', '--server', stack.appUrl, '--expires', '2h'], { CIPHERDROP_PASSWORD: 'open sesame' });
  expect(up.code).toBe(0);
  const link = up.stdout.trim();

  const context = await browser.newContext();
  const viewer = new DownloadPage(await context.newPage());
  await viewer.open(link);
  await viewer.enterPassword('open says me');
  await expect(viewer.alert()).toHaveText('That password does not open this file.');
  await viewer.enterPassword('open sesame');
  await expect(viewer.fileName()).toHaveText('from-cli.bin');
  await expect(viewer.page.getByText('expires in 2 h')).toBeVisible();
  const download = await viewer.download();
  const saved = path.join(dir, 'browser-out.bin');
  await download.saveAs(saved);
  expect(await download.failure()).toBeNull();
  expect(await sha256File(saved)).toBe(sha);
  await context.close();
});

test('a plain CLI upload downloads in the browser, and a plain browser upload through the CLI', async ({ browser, stack, uploadPage }) => {
  const file = path.join(dir, 'plain.bin');
  const sha = await writeRandomFile(file, 2 * MiB);
  const link = (await runCli(['upload', file, '--server', stack.appUrl])).stdout.trim();
  const context = await browser.newContext();
  const viewer = new DownloadPage(await context.newPage());
  await viewer.open(link);
  const download = await viewer.download();
  const saved = path.join(dir, 'plain-browser.bin');
  await download.saveAs(saved);
  expect(await sha256File(saved)).toBe(sha);
  await context.close();

  const { link: browserLink } = await uploadPage.share(file);
  const out = path.join(dir, 'plain-cli.bin');
  expect((await runCli(['download', browserLink, '-o', out])).code).toBe(0);
  expect(await sha256File(out)).toBe(sha);
});

test('a folder uploaded by the CLI — nested folders, an empty file, an empty folder — is one tree in the browser and one ZIP with the empty folder in it', async ({
  browser,
  stack,
}) => {
  const root = path.join(mkdtempSync(path.join(tmpdir(), 'cipherdrop-interop-set-')), 'field-notes');
  const files: Record<string, number> = { 'index.txt': 300, 'empty.txt': 0, 'day-1/photo.raw': 3 * MiB + 1, 'day-1/late/log.csv': 4096 };
  const hashes = await writeRandomTree(root, files);
  mkdirSync(path.join(root, 'day-2', 'nothing-yet'), { recursive: true });
  const up = await runCli(['upload', root, '--server', stack.appUrl]);
  expect(up.code, up.stderr).toBe(0);
  const link = up.stdout.trim();
  expect(new URL(link).pathname).toMatch(/^\/s\//);

  const context = await browser.newContext({ acceptDownloads: true });
  const viewer = await context.newPage();
  await viewer.goto(link);
  await expect(viewer.getByRole('heading', { level: 2 })).toHaveText(/4 files/);
  await expect(viewer.getByText('nothing-yet/')).toBeVisible();
  const [download] = await Promise.all([viewer.waitForEvent('download'), viewer.getByRole('button', { name: 'Download all as ZIP' }).click()]);
  const zip = path.join(path.dirname(root), 'notes.zip');
  await download.saveAs(zip);
  expect(await download.failure()).toBeNull();
  await context.close();

  execFileSync('unzip', ['-tq', zip]);
  const listing = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).split('\n');
  expect(listing).toContain('field-notes/day-2/nothing-yet/');
  const out = path.join(path.dirname(root), 'extracted');
  execFileSync('unzip', ['-q', zip, '-d', out]);
  for (const [rel, sha] of hashes) expect(await sha256File(path.join(out, 'field-notes', rel)), rel).toBe(sha);
  expect(statSync(path.join(out, 'field-notes', 'day-2', 'nothing-yet')).isDirectory()).toBe(true);
});

test('a folder shared from the page is recreated by the CLI, byte-exact', async ({ uploadPage }) => {
  const root = path.join(mkdtempSync(path.join(tmpdir(), 'cipherdrop-interop-set-')), 'garden');
  const files: Record<string, number> = { 'plan.txt': 999, 'beds/north.jpg': 2 * MiB + 3, 'beds/south/seeds.json': 12 };
  const hashes = await writeRandomTree(root, files);
  await uploadPage.goto();
  await uploadPage.chooseFolder(root);
  const link = await uploadPage.shareLink('garden');
  const out = path.join(path.dirname(root), 'from-cli');
  const got = await runCli(['download', link, '-o', out]);
  expect(got.code, got.stderr).toBe(0);
  for (const [rel, sha] of hashes) expect(await sha256File(path.join(out, 'garden', rel)), rel).toBe(sha);
  const listed = await runCli(['list', link]);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain('south/');
});
