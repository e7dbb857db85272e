/**
 * The spine: a 64 MiB file uploaded through the real page, shared, downloaded and decrypted in
 * a fresh browser context — and proof that only ciphertext ever left the browser.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toBase64Url } from '../../src/crypto/bytes.ts';
import { ciphertextSize, parseCompleteHeader } from '../../src/crypto/format.ts';
import { objectContext } from '../../src/crypto/objects.ts';
import { PlaintextIndex, sha256File, writeRandomFile } from '../support/files.ts';
import { DownloadPage, expect, test } from './fixtures.ts';

const MiB = 1024 * 1024;

test('a 64 MiB file round-trips through the page, and only ciphertext leaves the browser', async ({ browser, uploadPage, stack, page }) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-spine-'));
  const name = `quarterly-secret-plans-${Date.now()}.bin`;
  const file = path.join(dir, name);
  const size = 64 * MiB + 12345;
  const sha = await writeRandomFile(file, size);
  const seenByBrowser: { url: string; headers: Record<string, string>; body: Buffer | null }[] = [];
  page.context().on('request', (r) => seenByBrowser.push({ url: r.url(), headers: r.headers(), body: r.postDataBuffer() }));

  await uploadPage.goto();
  await uploadPage.choose(file);
  const link = await uploadPage.shareLink(name);
  const { pathname, hash } = new URL(link);
  const id = pathname.split('/').at(-1) as string;
  const secret = hash.slice(1);
  expect(link).toBe(`${stack.appUrl}/d/${id}#${secret}`);
  expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

  const context = await browser.newContext();
  context.on('request', (r) => seenByBrowser.push({ url: r.url(), headers: r.headers(), body: r.postDataBuffer() }));
  const viewer = new DownloadPage(await context.newPage());
  await viewer.open(link);
  await expect(viewer.fileName()).toHaveText(name);
  await expect(viewer.page.getByText('64.0 MiB')).toBeVisible();
  const download = await viewer.download();
  const saved = path.join(dir, 'downloaded.bin');
  await download.saveAs(saved);
  expect(await download.failure()).toBeNull();
  expect(download.suggestedFilename()).toBe(name);
  expect(await sha256File(saved)).toBe(sha);
  await expect(viewer.page.getByRole('status')).toHaveText('Downloaded and verified.');
  await context.close();

  // At rest: both objects are messages of our format, bound to this id, of the predicted size.
  const index = await PlaintextIndex.fromFile(file);
  for (const role of ['data', 'meta'] as const) {
    const bytes = await stack.getObject(id, role);
    const header = parseCompleteHeader(bytes);
    expect(header.context).toEqual(objectContext(id, role));
    if (role === 'data') expect(bytes.byteLength).toBe(ciphertextSize(size, header.frameLength, header.length));
    expect(index.findIn(bytes), `plaintext in the stored ${role} object`).toBe(-1);
    expect(bytes.includes(name), `file name in the stored ${role} object`).toBe(false);
  }

  // In flight: nothing the browser sent carries the key, the file name or plaintext.
  const keyBytes = Buffer.from(secret, 'base64url');
  const forbidden = [
    secret,
    keyBytes.toString('base64'),
    keyBytes.toString('hex'),
    name,
    encodeURIComponent(name),
    toBase64Url(new TextEncoder().encode(name)),
  ];
  const recorded = [...stack.appProxy.records, ...stack.s3Proxy.records];
  expect(recorded.length).toBeGreaterThan(10);
  expect(recorded.some((r) => r.method === 'PUT' && r.body.byteLength > 8 * MiB)).toBe(true);
  for (const r of recorded) {
    const text = `${r.method} ${r.url}\n${JSON.stringify(r.headers)}`;
    for (const secretForm of forbidden) {
      expect(text.includes(secretForm), `${secretForm} in ${r.method} ${r.url}`).toBe(false);
      expect(r.body.includes(secretForm), `${secretForm} in the body of ${r.method} ${r.url}`).toBe(false);
      expect(r.body.includes(keyBytes), `raw key in the body of ${r.method} ${r.url}`).toBe(false);
    }
    expect(index.findIn(r.body), `plaintext in the body of ${r.method} ${r.url}`).toBe(-1);
  }
  // The browser talked to our two origins only, and the fragment never went over the wire.
  const origins = new Set(seenByBrowser.map((r) => new URL(r.url).origin));
  expect([...origins].filter((o) => o !== stack.appUrl && o !== stack.s3Url)).toEqual([]);
  for (const r of seenByBrowser) {
    expect(r.url.includes(secret) || JSON.stringify(r.headers).includes(secret), `key in ${r.url}`).toBe(false);
    expect(r.body?.includes(secret) ?? false).toBe(false);
  }
});

test('a link password never leaves the page either', async ({ browser, uploadPage, stack }) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-pw-'));
  const name = `payroll-${Date.now()}.csv`;
  const file = path.join(dir, name);
  await writeRandomFile(file, 3 * MiB);
  const password = 'Zebra-Quasar-7731';
  const before = stack.appProxy.records.length + stack.s3Proxy.records.length;
  const { link, secret } = await uploadPage.share(file, { password });

  const context = await browser.newContext();
  const viewer = new DownloadPage(await context.newPage());
  await viewer.open(link);
  await viewer.enterPassword(password);
  const download = await viewer.download();
  await download.saveAs(path.join(dir, 'out.csv'));
  expect(await download.failure()).toBeNull();
  await context.close();

  const recorded = [...stack.appProxy.records, ...stack.s3Proxy.records];
  expect(recorded.length).toBeGreaterThan(before);
  const forbidden = [password, Buffer.from(password).toString('base64'), encodeURIComponent(password), secret, name];
  for (const r of recorded) {
    const text = `${r.method} ${r.url}\n${JSON.stringify(r.headers)}`;
    for (const value of forbidden) {
      expect(text.includes(value), `${value} in ${r.method} ${r.url}`).toBe(false);
      expect(r.body.includes(value), `${value} in the body of ${r.method} ${r.url}`).toBe(false);
    }
  }
});
