/**
 * The page's sets across a "reload", in Node on the real server and store: a set is stopped with
 * some parts sent, a new queue and PageSets over the same saved store (as a reloaded page) restore
 * it as unfinished, refuse a changed file, then take the same files and finish under the same set
 * id, sending only the parts not sent before; every member reads back byte-exact, the empty folder
 * is listed, and nothing of the set stays saved.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDataObject } from '../../../src/download/data-object.ts';
import type { Sink } from '../../../src/download/downloader.ts';
import { TransferError } from '../../../src/errors.ts';
import { BlobReader, downloadMember } from '../../../src/sets/members.ts';
import { blobLink, fetchSet, parseSetLink, unlockSet } from '../../../src/sets/open-set.ts';
import { PageSets } from '../../../src/sets/page-sets.ts';
import { type Api, createApi } from '../../../src/transfer/api.ts';
import { directRunner, type PartRunner } from '../../../src/transfer/parts.ts';
import { directFrameRunner } from '../../../src/transfer/ranges.ts';
import { describeError } from '../../../src/ui/messages.ts';
import { UploadQueue } from '../../../src/upload/queue.ts';
import { MemoryResumeStore } from '../../../src/upload/resume-store.ts';
import { startTestServer, type TestServer } from '../../support/test-server.ts';
import { randomData, sha256 } from '../helpers.ts';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startTestServer({ name: 'cipherdrop-set-resume-', listen: true });
  api = createApi({ base: server.base });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

/** Sends `allowed` parts, then holds every other until its upload is paused (or `open`). */
class Gate implements PartRunner {
  sent: { id: string; partNumber: number }[] = [];
  constructor(public allowed: number) {}
  async sendPart(...[request, context]: Parameters<PartRunner['sendPart']>) {
    if (this.sent.length >= this.allowed) {
      await new Promise<void>((_, fail) => {
        context.signal?.addEventListener('abort', () => fail(new TransferError('Aborted', 'Paused')), { once: true });
      });
    }
    this.sent.push({ id: request.upload.id, partNumber: request.part.partNumber });
    return directRunner.sendPart(request, context);
  }
}

class MemorySink implements Sink {
  chunks: Uint8Array[] = [];
  async write(chunk: Uint8Array<ArrayBuffer>) {
    this.chunks.push(chunk.slice());
  }
  async close() {}
  async abort() {}
}

const until = async (condition: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 600 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 50));
  expect(await condition()).toBe(true);
};

const T = 1_764_633_600_000;
const picked = (p: string, bytes: Uint8Array<ArrayBuffer>, modified = T) => ({
  path: p,
  file: new File([bytes], p.split('/').at(-1) as string, { lastModified: modified }),
});

function page(store: MemoryResumeStore, runner: PartRunner) {
  const queue = new UploadQueue({ api, runner, store, describe: String, partPlaintextSize: PART, partsInFlight: 1 });
  const sets = new PageSets(queue, () => api, describeError, store);
  return { queue, sets };
}

it('a set stopped mid-way comes back after a reload, refuses a changed file, and finishes under the same id with only the parts left', async () => {
  const files = [picked('album/big.bin', randomData(2 * PART + 123)), picked('album/a.txt', randomData(3000)), picked('album/sub/b.txt', randomData(5000))];
  const store = new MemoryResumeStore();
  const first = new Gate(2);
  const before = page(store, first);
  before.sets.start(files, ['album/empty'], {}, 'album', true);
  // Two parts sent (the pack, one part of the big file): both acknowledged and saved.
  // (The big file's own record: the pack's also has one part done, until it completes.)
  await until(
    async () => first.sent.length === 2 && (await store.list()).some((s) => s.record.source.size === files[0].file.size && s.record.done.length === 1),
  );
  await until(async () => (await store.listSets()).some((s) => s.blobs.some((b) => b.result)));
  const [planned] = await store.listSets();
  expect(planned.members.map((m) => m.path).sort()).toEqual(['album/a.txt', 'album/big.bin', 'album/sub/b.txt']);
  before.queue.pauseAll();
  await before.queue.idle();
  const bigRecord = (await store.list()).find((s) => s.record.source.size === files[0].file.size)?.record;
  expect(bigRecord?.setId).toBe(planned.id);

  // The reload: a new queue and sets over the same store.
  const second = new Gate(Number.POSITIVE_INFINITY);
  const after = page(store, second);
  await after.queue.restore();
  await after.sets.restore();
  // The set's blob is not shown as a file waiting on its own.
  expect(after.queue.getSnapshot()).toEqual([]);
  const [restored] = after.sets.getSnapshot();
  expect(restored).toMatchObject({ phase: 'unfinished', label: 'album', folder: true, files: 3 });
  expect(restored.doneBefore).toBeGreaterThan(PART);

  // A changed file (its modified time): refused, named, nothing sent.
  await after.sets.resumeWith(restored.key, [files[0], picked('album/a.txt', randomData(3000), T + 1000), files[2]]);
  expect(after.sets.getSnapshot()[0]).toMatchObject({ phase: 'unfinished', error: expect.stringContaining('Not continued: album/a.txt changed') });
  expect(second.sent).toEqual([]);

  // The same files (in another order, with one added since): it goes on and finishes.
  await after.sets.resumeWith(restored.key, [files[2], picked('album/new.txt', randomData(10)), files[1], files[0]]);
  await until(() => after.sets.getSnapshot()[0].phase === 'done');
  const done = after.sets.getSnapshot()[0];
  expect(done.id).toBe(planned.id);
  // Only the big file's last two parts were sent again; the pack was complete before.
  expect(second.sent).toEqual([
    { id: bigRecord?.id, partNumber: 2 },
    { id: bigRecord?.id, partNumber: 3 },
  ]);
  await until(async () => (await store.listSets()).length === 0 && (await store.list()).length === 0);

  const linkPath = done.linkPath as string;
  const { id, secret } = parseSetLink(linkPath.slice(0, linkPath.indexOf('#')), linkPath.slice(linkPath.indexOf('#')));
  const set = await unlockSet(await fetchSet(api, id, secret), secret);
  expect(set.manifest.blobs.map((b) => b.id)).toContain(bigRecord?.id);
  expect(set.manifest.entries.filter((e) => e.dir).map((e) => e.path)).toEqual(['album/empty/']);
  const byPath = new Map(files.map((f) => [f.path, f.file]));
  for (const entry of set.manifest.entries) {
    if (entry.dir) continue;
    const reader = new BlobReader(await openDataObject(blobLink(api, set, entry.blob), { api, runner: directFrameRunner }));
    const sink = new MemorySink();
    await downloadMember(reader, entry.offset, entry.offset + entry.size, sink);
    const original = byPath.get(entry.path) as File;
    expect(entry.modified).toBe(T);
    expect(sha256(Buffer.concat(sink.chunks)), entry.path).toBe(sha256(new Uint8Array(await original.arrayBuffer())));
  }
}, 120_000);
