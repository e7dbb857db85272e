/**
 * File requests end to end in Node, on the real server and the real embedded store: create a
 * request, send files to it from its link, open the inbox from its link, download byte-exact; and
 * what must be refused: a swapped public key, a wrong inbox secret, a forged file in the inbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../../src/crypto/bytes.ts';
import { type Keyring, rsaKeyring } from '../../../src/crypto/keyring.ts';
import { generateRequestKeys } from '../../../src/crypto/request-keys.ts';
import { openDataObject } from '../../../src/download/data-object.ts';
import { downloadTo, type OpenedLink, type Sink } from '../../../src/download/downloader.ts';
import { createFileRequest } from '../../../src/requests/create.ts';
import { openInbox } from '../../../src/requests/inbox.ts';
import { parseInboxLink, parseRequestLink } from '../../../src/requests/links.ts';
import { openRequest } from '../../../src/requests/sender.ts';
import { type Api, createApi } from '../../../src/transfer/api.ts';
import { directRunner } from '../../../src/transfer/parts.ts';
import { directFrameRunner } from '../../../src/transfer/ranges.ts';
import { uploadFile } from '../../../src/upload/uploader.ts';
import { startTestServer, type TestServer } from '../../support/test-server.ts';
import { randomData, sha256 } from '../helpers.ts';

const KiB = 1024;
let stack: TestServer;
let api: Api;

beforeAll(async () => {
  stack = await startTestServer({ name: 'cipherdrop-requests-', listen: true });
  api = createApi({ base: stack.base });
}, 60_000);

afterAll(() => stack?.stop());

const split = (linkPath: string) => {
  const at = linkPath.indexOf('#');
  return [linkPath.slice(0, at), linkPath.slice(at)] as const;
};

class MemorySink implements Sink {
  chunks: Uint8Array[] = [];
  closed = false;
  aborted: unknown = null;
  async write(chunk: Uint8Array<ArrayBuffer>) {
    this.chunks.push(chunk.slice());
  }
  async close() {
    this.closed = true;
  }
  async abort(reason: unknown) {
    this.aborted = reason;
  }
  bytes() {
    return Buffer.concat(this.chunks);
  }
}

async function download(link: OpenedLink): Promise<Uint8Array> {
  const sink = new MemorySink();
  await downloadTo(await openDataObject(link, { api, runner: directFrameRunner }), sink);
  expect(sink.closed).toBe(true);
  return sink.bytes();
}

const send = (requestId: string, keyring: Keyring, name: string, bytes: Uint8Array<ArrayBuffer>, message?: string) =>
  uploadFile(
    { blob: new Blob([bytes]), name, type: 'application/octet-stream', lastModified: 1_700_000_000_000 },
    { api, runner: directRunner, request: { id: requestId, keyring, message }, partPlaintextSize: 5 * 1024 * KiB, frameLength: 64 * KiB },
  );

describe('file requests, in Node on the real server', () => {
  it('create → send three files from the request link → open the inbox from the inbox link → download byte-exact', async () => {
    const created = await createFileRequest(api, { title: 'Tax papers', note: 'The 2025 ones, please', expiresInSeconds: 3600, maxFiles: 5 });
    const requestLink = parseRequestLink(...split(created.requestLink));
    const opened = await openRequest(api, requestLink);
    expect([opened.title, opened.note, opened.state, opened.filesLeft]).toEqual(['Tax papers', 'The 2025 ones, please', 'open', 5]);

    const files = [randomData(0), randomData(300 * KiB), randomData(11 * 1024 * KiB + 17)];
    const names = ['empty.txt', 'scan ü.pdf', 'big.bin'];
    for (const [i, bytes] of files.entries()) {
      const result = await send(opened.id, opened.keyring, names[i], bytes, i === 1 ? 'Here is the scan' : undefined);
      // The sender gets no link and no secret: it cannot read back what it sent.
      expect([result.linkPath, result.secret, result.requestId]).toEqual(['', '', opened.id]);
    }

    const inbox = await openInbox(api, parseInboxLink(...split(created.inboxLink)));
    expect([inbox.title, inbox.state, inbox.files.length]).toEqual(['Tax papers', 'open', 3]);
    expect(inbox.requestLink).toBe(created.requestLink);
    const byName = new Map(inbox.files.map((f) => ['link' in f.opened ? f.opened.link.meta.name : '?', f]));
    for (const [i, name] of names.entries()) {
      const file = byName.get(name);
      if (!file || !('link' in file.opened)) throw new Error(`${name} did not open`);
      expect(file.opened.link.meta.message).toBe(i === 1 ? 'Here is the scan' : undefined);
      expect(sha256(await download(file.opened.link))).toBe(sha256(files[i]));
    }
  }, 120_000);

  it('refuses a request whose public key is not the one the link names (the server swapped it): KeyMismatch, nothing sent', async () => {
    const created = await createFileRequest(api, { title: 'Swap me', note: '', expiresInSeconds: 3600 });
    const link = parseRequestLink(...split(created.requestLink));
    const other = await generateRequestKeys();
    const lying: Pick<Api, 'getRequest'> = {
      getRequest: async (id, signal) => ({ ...(await api.getRequest(id, signal)), publicKey: toBase64Url(other.spki) }),
    };
    await expect(openRequest(lying, link)).rejects.toMatchObject({ code: 'KeyMismatch' });
    expect((await api.getRequest(link.id)).filesReceived).toBe(0);
  }, 60_000);

  it('a wrong inbox secret opens nothing (WrongKey); a forged file in the inbox is shown as such while the others open', async () => {
    const created = await createFileRequest(api, { title: 'Forgery', note: '', expiresInSeconds: 3600 });
    const inboxLink = parseInboxLink(...split(created.inboxLink));
    const wrong = { ...inboxLink, inboxSecret: randomData(32) };
    await expect(openInbox(api, wrong)).rejects.toMatchObject({ code: 'WrongKey' });

    const request = await openRequest(api, parseRequestLink(...split(created.requestLink)));
    const genuine = randomData(100 * KiB);
    await send(request.id, request.keyring, 'genuine.bin', genuine);
    // Someone with the request id but another key (the server, say) sends a file of their own.
    const forger = await generateRequestKeys();
    await send(request.id, rsaKeyring({ publicKey: forger.publicKey }), 'forged.bin', randomData(10 * KiB));

    const inbox = await openInbox(api, inboxLink);
    expect(inbox.files).toHaveLength(2);
    const opened = inbox.files.filter((f) => 'link' in f.opened);
    const failed = inbox.files.filter((f) => 'error' in f.opened);
    expect(opened).toHaveLength(1);
    expect(failed.map((f) => ('error' in f.opened ? (f.opened.error as { code?: string }).code : null))).toEqual(['WrongKey']);
    const link = 'link' in opened[0].opened ? opened[0].opened.link : null;
    expect(link?.meta.name).toBe('genuine.bin');
    if (link) expect(sha256(await download(link))).toBe(sha256(genuine));
  }, 120_000);
});
