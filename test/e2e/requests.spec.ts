/**
 * File requests in the real page (docs/REQUESTS.md): a requester makes a request, a sender sends
 * three files from a second browser context, the requester opens the inbox in a third and
 * downloads each byte-exact — and the recorder proves that no key, name, message, title or
 * plaintext left any browser. Then what must be refused: a public key swapped in the store, and
 * a request that is full.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { toBase64Url } from '../../src/crypto/bytes.ts';
import { generateRequestKeys } from '../../src/crypto/request-keys.ts';
import { parseInboxLink, parseRequestLink } from '../../src/requests/links.ts';
import { PlaintextIndex, sha256File, writeRandomFile } from '../support/files.ts';
import { PREFIX } from '../support/stack.ts';
import { expect, test } from './fixtures.ts';
import { InboxPage, RequestForm, SendPage } from './request-pages.ts';

const MiB = 1024 * 1024;

const linkParts = (link: string) => {
  const url = new URL(link);
  return [url.pathname, url.hash] as const;
};

test('a request: three files sent from one browser, opened in another, and only ciphertext ever left either', async ({ browser, page, stack }) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-request-'));
  const names = [`passport-scan-${Date.now()}.pdf`, 'bank statement ü.csv', 'empty-note.txt'];
  const sizes = [20 * MiB + 333, 700 * 1024, 0];
  const hashes: string[] = [];
  for (const [i, name] of names.entries()) hashes.push(await writeRandomFile(path.join(dir, name), sizes[i]));
  const title = 'Documents for the mortgage application';
  const note = 'Please send the passport and three months of statements.';
  const message = 'Here you go — Ana';
  const seen: string[] = [];

  const requester = new RequestForm(page, stack.appUrl);
  const { requestLink, inboxLink } = await requester.create({ title, note, maxFiles: 5 });

  const senderContext = await browser.newContext();
  senderContext.on('request', (r) => seen.push(r.url()));
  const sender = new SendPage(await senderContext.newPage());
  await sender.open(requestLink);
  await expect(sender.title()).toHaveText(title);
  await expect(sender.page.getByText(note)).toBeVisible();
  await sender.send(
    names.map((n) => path.join(dir, n)),
    message,
  );
  for (const name of names) await expect(sender.status(name)).toHaveText(/Sent: only the person who asked can open it/, { timeout: 4 * 60_000 });
  await senderContext.close();

  const inboxContext = await browser.newContext({ acceptDownloads: true });
  inboxContext.on('request', (r) => seen.push(r.url()));
  const inbox = new InboxPage(await inboxContext.newPage());
  await inbox.open(inboxLink);
  await expect(inbox.files()).toHaveCount(3);
  await expect(inbox.row(names[1])).toContainText(message);
  for (const [i, name] of names.entries()) {
    const download = await inbox.download(name);
    expect(await download.failure()).toBeNull();
    expect(download.suggestedFilename()).toBe(name);
    expect(await sha256File(await download.path())).toBe(hashes[i]);
    await inbox.back();
  }
  await inboxContext.close();

  // Nothing any browser sent carries a secret of either link, a name, the message, the title, or plaintext.
  const requestSecrets = parseRequestLink(...linkParts(requestLink));
  const inboxSecrets = parseInboxLink(...linkParts(inboxLink));
  const forbidden = [
    toBase64Url(requestSecrets.cardSecret),
    toBase64Url(inboxSecrets.inboxSecret),
    Buffer.from(inboxSecrets.inboxSecret).toString('base64'),
    Buffer.from(inboxSecrets.inboxSecret).toString('hex'),
    title,
    note,
    message,
    ...names.flatMap((n) => [n, encodeURIComponent(n)]),
  ];
  const rawSecrets = [Buffer.from(requestSecrets.cardSecret), Buffer.from(inboxSecrets.inboxSecret)];
  const indexes = await Promise.all(names.slice(0, 2).map((n) => PlaintextIndex.fromFile(path.join(dir, n))));
  const recorded = [...stack.appProxy.records, ...stack.s3Proxy.records];
  expect(recorded.some((r) => r.method === 'PUT' && r.body.byteLength > 8 * MiB)).toBe(true);
  for (const r of recorded) {
    const text = `${r.method} ${r.url}\n${JSON.stringify(r.headers)}`;
    for (const value of forbidden) {
      expect(text.includes(value), `${value} in ${r.method} ${r.url}`).toBe(false);
      expect(r.body.includes(value), `${value} in the body of ${r.method} ${r.url}`).toBe(false);
    }
    for (const raw of rawSecrets) expect(r.body.includes(raw), `a raw link secret in the body of ${r.method} ${r.url}`).toBe(false);
    for (const index of indexes) expect(index.findIn(r.body), `plaintext in the body of ${r.method} ${r.url}`).toBe(-1);
  }
  const origins = new Set(seen.map((u) => new URL(u).origin));
  expect([...origins].filter((o) => o !== stack.appUrl && o !== stack.s3Url)).toEqual([]);
});

test("a public key swapped in the store is caught by the sender's page: nothing is sent", async ({ browser, page, stack }) => {
  const { requestLink } = await new RequestForm(page, stack.appUrl).create({ title: 'Swap target' });
  const { id } = parseRequestLink(...linkParts(requestLink));
  // A hostile storage provider (or server) puts its own key into the request record.
  const key = `${PREFIX}requests/${id}/request.json`;
  const stored = await stack.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
  const record = JSON.parse(await (stored.Body as { transformToString(): Promise<string> }).transformToString());
  const theirs = await generateRequestKeys();
  record.publicKey = toBase64Url(theirs.spki);
  record.fingerprint = theirs.fingerprint;
  await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: JSON.stringify(record), ContentType: 'application/json' }));

  const context = await browser.newContext();
  const sender = new SendPage(await context.newPage());
  const before = stack.s3Proxy.records.filter((r) => r.method === 'PUT').length;
  await sender.open(requestLink);
  await expect(sender.alert()).toContainText('is not the one its link names');
  await expect(sender.page.getByLabel('Choose files')).toHaveCount(0);
  expect(stack.s3Proxy.records.filter((r) => r.method === 'PUT').length).toBe(before);
  await context.close();
});

test('a full request says so on the sender’s page, and keeps what it has', async ({ browser, page, stack }) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-full-'));
  const files = ['first.bin', 'second.bin'].map((n) => path.join(dir, n));
  for (const f of files) await writeRandomFile(f, 64 * 1024);
  const { requestLink, inboxLink } = await new RequestForm(page, stack.appUrl).create({ title: 'Just one', maxFiles: 1 });

  const context = await browser.newContext();
  const sender = new SendPage(await context.newPage());
  await sender.open(requestLink);
  await sender.send([files[0]]);
  await expect(sender.status('first.bin')).toHaveText(/Sent/);
  await sender.send([files[1]]);
  await expect(sender.status('second.bin')).toContainText('This file request is full');
  await context.close();

  const inbox = new InboxPage(page);
  await inbox.open(inboxLink);
  await expect(inbox.files()).toHaveCount(1);
  await expect(inbox.row('first.bin')).toBeVisible();
  // A fresh visit to the request link says it takes no more.
  const again = new SendPage(await (await browser.newContext()).newPage());
  await again.open(requestLink);
  await expect(again.page.getByText('0 more files')).toBeVisible();
});
