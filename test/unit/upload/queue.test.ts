/**
 * The upload queue against a fake API and a fake part runner (unit tests may stub; the e2e tests
 * run the same queue in the page against the real store). Parts are held until the test lets
 * them go, so in-flight limits, pause, cancel and resume are observed at exact moments.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rsaKeyring } from '../../../src/crypto/keyring.ts';
import { generateRequestKeys } from '../../../src/crypto/request-keys.ts';
import { TransferError } from '../../../src/errors.ts';
import type { Api, UploadRef } from '../../../src/transfer/api.ts';
import type { PartRunner, RunnerContext } from '../../../src/transfer/parts.ts';
import { UploadQueue } from '../../../src/upload/queue.ts';
import { IndexedDbResumeStore, MemoryResumeStore, type ResumeStore } from '../../../src/upload/resume-store.ts';
import type { SendPartRequest } from '../../../src/upload/send-part.ts';

const MiB = 1024 * 1024;
const PART = 5 * MiB;

class FakeStore {
  created = 0;
  completed: { id: string; parts: { partNumber: number; etag: string }[] }[] = [];
  aborted: string[] = [];
  /** what ListParts answers: null = unsupported (s3rver) */
  listed: Map<string, { partNumber: number; etag: string; size: number }[]> | null = null;

  api = {
    createUpload: async () => ({
      id: `file${++this.created}`.padEnd(22, 'x'),
      uploadId: `upload${this.created}`,
      customerKey: false,
      metaUrl: 'http://store.test/meta',
      metaHeaders: {},
      expiresAt: null,
      ownerToken: 'owner',
      ticket: `ticket${this.created}`,
      resumableUntil: Date.now() + 86_400_000,
    }),
    partUrls: async (_upload: UploadRef, partNumbers: number[]) => ({
      urls: partNumbers.map((partNumber) => ({ partNumber, url: `http://store.test/part/${partNumber}` })),
    }),
    uploadedParts: async ({ id }: UploadRef) => ({ supported: this.listed !== null, parts: this.listed?.get(id) ?? [] }),
    complete: async ({ id }: UploadRef, parts: { partNumber: number; etag: string }[]) => {
      this.completed.push({ id, parts });
    },
    abort: async ({ id }: UploadRef) => {
      this.aborted.push(id);
      return { multipartAborted: true };
    },
  } as unknown as Api; // only the calls the queue makes
}

/** Parts wait until released; records what was sent and how many were in flight at most. */
class HeldRunner implements PartRunner {
  inFlight = 0;
  peak = 0;
  sent: { file: Blob; partNumber: number; key: string }[] = [];
  private held: { partNumber: number; go(): void; fail(e: Error): void }[] = [];
  auto = false;

  async sendPart(request: SendPartRequest, { signal }: RunnerContext): Promise<{ etag: string }> {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    try {
      if (!this.auto) {
        await new Promise<void>((go, fail) => {
          const held = { partNumber: request.part.partNumber, go, fail };
          this.held.push(held);
          signal?.addEventListener(
            'abort',
            () => {
              this.held.splice(this.held.indexOf(held), 1);
              fail(new TransferError('Aborted', 'Cancelled'));
            },
            { once: true },
          );
        });
      }
      this.sent.push({ file: request.file, partNumber: request.part.partNumber, key: request.keys ? await keyId(request.keys.contentKey) : '' });
      return { etag: `"etag-${request.part.partNumber}"` };
    } finally {
      this.inFlight--;
    }
  }

  /** Lets the oldest held parts finish, waiting for them to be under way first. */
  async release(count = 1): Promise<void> {
    for (let i = 0; i < count; i++) {
      await until(() => this.held.length > 0);
      this.held.shift()?.go();
    }
    await settle();
  }

  failNext(error: Error): void {
    this.held.shift()?.fail(error);
  }

  get waiting(): number {
    return this.held.length;
  }
}

const settle = () => new Promise((r) => setTimeout(r, 30));
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error('timed out waiting');
}
/** Which key this is, for non-extractable keys: what it makes of one zero block under a zero IV. */
async function keyId(key: CryptoKey): Promise<string> {
  const out = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, key, new Uint8Array(16));
  return Buffer.from(out).toString('hex');
}
const file = (name: string, size: number, lastModified = 1_700_000_000_000, fill = 1) => new File([new Uint8Array(size).fill(fill)], name, { lastModified });

let store: FakeStore;
let runner: HeldRunner;
let saved: ResumeStore;
const makeQueue = (resume = saved) =>
  new UploadQueue({
    api: store.api,
    runner,
    store: resume,
    describe: (e) => (e instanceof Error ? e.message : String(e)),
    partsInFlight: 3,
    filesInFlight: 2,
    partPlaintextSize: PART,
    frameLength: 4096,
  });
const states = (q: UploadQueue) => q.getSnapshot().map((e) => e.state.state);

beforeEach(() => {
  store = new FakeStore();
  runner = new HeldRunner();
  saved = new MemoryResumeStore();
  // The meta object's PUT goes straight to the store.
  vi.stubGlobal('fetch', async () => new Response(null, { status: 200 }));
});
afterEach(() => vi.unstubAllGlobals());

describe('UploadQueue', () => {
  it('never has more parts in flight than its limit, across all files, and finishes each file', async () => {
    const q = makeQueue();
    await q.add([{ file: file('a', 4 * PART) }, { file: file('b', 3 * PART) }, { file: file('c', 0) }]);
    await until(() => runner.inFlight === 3);
    while (states(q).some((s) => s !== 'done')) {
      expect(q.partsInFlight).toBeLessThanOrEqual(3);
      await runner.release();
    }
    expect(runner.peak).toBe(3);
    expect(store.completed.map((c) => c.parts.length).sort()).toEqual([1, 3, 4]);
    expect((await saved.list()).length).toBe(0);
  });

  it('hands out a new snapshot object only for the file that changed (rows re-render alone)', async () => {
    const q = makeQueue();
    await q.add([{ file: file('a', 3 * PART) }, { file: file('b', 3 * PART) }, { file: file('c', 3 * PART) }]);
    await until(() => states(q).filter((s) => s === 'uploading').length === 2);
    const before = q.getSnapshot();
    q.pause(before[0].key);
    const after = q.getSnapshot();
    expect(after).not.toBe(before);
    expect(after[0]).not.toBe(before[0]);
    expect(after[0].state.state).toBe('paused');
    expect(after[1]).toBe(before[1]);
    expect(after[2]).toBe(before[2]);
    await q.cancelAll();
  });

  it('pause stops every part of a file; resume sends only the parts not yet acknowledged', async () => {
    const q = makeQueue();
    await q.add([{ file: file('a', 5 * PART) }]);
    await settle();
    await runner.release(2); // parts 1 and 2 acknowledged; 3, 4 and 5 under way
    const [entry] = q.getSnapshot();
    q.pause(entry.key);
    await q.idle();
    expect(states(q)).toEqual(['paused']);
    expect([runner.inFlight, runner.waiting]).toEqual([0, 0]);
    expect((await saved.list())[0].record.done.map((p) => p.partNumber).sort()).toEqual([1, 2]);
    q.resume(entry.key);
    await until(() => runner.waiting === 3);
    await runner.release(3);
    await q.idle();
    expect(states(q)).toEqual(['done']);
    expect(runner.sent.map((s) => s.partNumber).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(store.completed[0].parts.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5]);
  });

  it('while parts stall, the shown speed falls and the time left grows (no frozen numbers)', async () => {
    const q = makeQueue();
    await q.add([{ file: file('a', 4 * PART) }]);
    await until(() => runner.waiting === 3);
    await new Promise((r) => setTimeout(r, 300));
    await runner.release(); // one part done: a first speed
    const reading = () => {
      const s = q.getSnapshot()[0].state;
      if (s.state !== 'uploading') throw new Error(`not uploading: ${s.state}`);
      return s.progress;
    };
    await until(() => reading().speed !== null);
    const before = reading();
    await new Promise((r) => setTimeout(r, 2500)); // nothing moves: the tick samples the stall
    const after = reading();
    expect(after.done).toBe(before.done);
    expect(after.speed).toBeLessThan(before.speed as number);
    expect(after.eta).toBeGreaterThan(before.eta as number);
    await q.cancel(q.getSnapshot()[0].key);
  });

  it('cancel aborts the multipart upload and forgets the saved record', async () => {
    const q = makeQueue();
    await q.add([{ file: file('a', 3 * PART) }]);
    await settle();
    await runner.release();
    expect((await saved.list()).length).toBe(1);
    await q.cancel(q.getSnapshot()[0].key);
    expect(states(q)).toEqual(['cancelled']);
    expect(store.aborted).toEqual(['file1'.padEnd(22, 'x')]);
    expect(store.completed).toEqual([]);
    expect(await saved.list()).toEqual([]);
    expect(runner.inFlight).toBe(0);
  });

  it('a failed part fails the file with the described error; retry goes on from the acknowledged parts', async () => {
    const q = makeQueue();
    await q.add([{ file: file('a', 3 * PART) }]);
    await settle();
    await runner.release();
    runner.failNext(new TransferError('MissingETag', 'expose ETag'));
    await q.idle();
    expect(q.getSnapshot()[0].state).toMatchObject({ state: 'failed', message: 'expose ETag' });
    runner.auto = true;
    q.retry(q.getSnapshot()[0].key);
    await q.idle();
    expect(states(q)).toEqual(['done']);
    expect(runner.sent.filter((s) => s.partNumber === 1).length).toBe(1);
  });

  it("a request's page restores only uploads sent to its request, and the upload page only those sent to none", async () => {
    const requestId = 'R'.repeat(22);
    const { publicKey } = await generateRequestKeys();
    const scoped = (id?: string) =>
      new UploadQueue({ api: store.api, runner, store: saved, describe: String, partsInFlight: 3, partPlaintextSize: PART, requestId: id });
    // What a reload leaves behind: a saved record of each, nothing in flight.
    const leave = async (queue: UploadQueue, name: string, options = {}) => {
      await queue.add([{ file: file(name, 3 * PART) }], options);
      await settle();
      await runner.release();
      queue.pauseAll();
      await queue.idle();
    };
    await leave(scoped(requestId), 'to-request.bin', { request: { id: requestId, keyring: rsaKeyring({ publicKey }) } });
    await leave(scoped(), 'own.bin');
    expect((await saved.list()).map((s) => [s.path, s.record.requestId ?? null]).sort()).toEqual([
      ['own.bin', null],
      ['to-request.bin', requestId],
    ]);

    const [forRequest, forPage, forOther] = [scoped(requestId), scoped(), scoped('O'.repeat(22))];
    await Promise.all([forRequest.restore(), forPage.restore(), forOther.restore()]);
    expect(forRequest.getSnapshot().map((e) => e.path)).toEqual(['to-request.bin']);
    expect(forPage.getSnapshot().map((e) => e.path)).toEqual(['own.bin']);
    expect(forOther.getSnapshot()).toEqual([]);
    // Nobody else's upload was discarded on the way.
    expect(store.aborted).toEqual([]);
  }, 30_000);

  it('after a reload, a re-picked unchanged file resumes with the same key; a changed one starts afresh', async () => {
    const first = makeQueue();
    const original = file('movie.bin', 3 * PART);
    await first.add([{ file: original }]);
    await settle();
    await runner.release();
    first.pauseAll(); // what a reload leaves behind: a saved record and nothing in flight
    await first.idle();
    const firstKey = runner.sent[0].key;

    const second = makeQueue();
    await second.restore();
    expect(second.getSnapshot()).toMatchObject([{ name: 'movie.bin', hasFile: false, state: { state: 'paused' } }]);
    runner.auto = true;
    await second.add([{ file: new File([original], 'movie.bin', { lastModified: original.lastModified }) }]);
    await second.idle();
    expect(states(second)).toEqual(['done']);
    expect(runner.sent.map((s) => s.partNumber).sort()).toEqual([1, 2, 3]);
    expect(runner.sent.every((s) => s.key === firstKey)).toBe(true);

    // The same again, but the file changed in one byte of its first MiB (same name, size and time).
    runner.auto = false;
    const third = makeQueue();
    await third.add([{ file: original }]);
    await settle();
    await runner.release();
    third.pauseAll();
    await third.idle();
    const before = runner.sent.length;
    const fourth = makeQueue();
    await fourth.restore();
    runner.auto = true;
    const changed = new File([new Uint8Array([9]), original.slice(1)], 'movie.bin', { lastModified: original.lastModified });
    await fourth.add([{ file: changed }]);
    await fourth.idle();
    expect(fourth.getSnapshot()).toMatchObject([{ state: { state: 'done' }, notice: expect.stringContaining('new key') }]);
    const resent = runner.sent.slice(before);
    expect(resent.map((s) => s.partNumber).sort()).toEqual([1, 2, 3]);
    expect(resent.every((s) => s.key !== firstKey && s.key !== runner.sent[before - 1].key)).toBe(true);
    // The interrupted upload of the old bytes was aborted in the store, not left to rot.
    expect(store.aborted).toEqual(['file2'.padEnd(22, 'x')]);
    expect(await saved.list()).toEqual([]);
  });

  it('where the store lists parts, its list wins over the saved one (a part acknowledged just before a crash counts)', async () => {
    store.listed = new Map();
    const q = makeQueue();
    const f = file('a', 3 * PART);
    await q.add([{ file: f }]);
    await settle();
    await runner.release();
    q.pauseAll();
    await q.idle();
    const record = (await saved.list())[0].record;
    // The store holds parts 1 and 2 (2 arrived, but the page died before saving it) and a short part 3.
    store.listed.set(record.id, [
      { partNumber: 1, etag: '"s1"', size: record.parts[0].cipherSize },
      { partNumber: 2, etag: '"s2"', size: record.parts[1].cipherSize },
      { partNumber: 3, etag: '"s3"', size: 10 },
    ]);
    const again = makeQueue();
    await again.restore();
    runner.auto = true;
    const sentBefore = runner.sent.length;
    await again.add([{ file: f }]);
    await again.idle();
    expect(runner.sent.slice(sentBefore).map((s) => s.partNumber)).toEqual([3]);
    expect(store.completed[0].parts).toEqual([
      { partNumber: 1, etag: '"s1"' },
      { partNumber: 2, etag: '"s2"' },
      { partNumber: 3, etag: '"etag-3"' },
    ]);
  });
});

describe('IndexedDbResumeStore', () => {
  it('keeps records (with their CryptoKey) across instances and deletes them', async () => {
    const one = new IndexedDbResumeStore();
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    const q = makeQueue(one);
    await q.add([{ file: file('kept', 2 * PART) }]);
    await settle();
    await runner.release();
    q.pauseAll();
    await q.idle();
    const [record] = await new IndexedDbResumeStore().list();
    expect(record.path).toBe('kept');
    expect(record.record.done.map((p) => p.partNumber)).toEqual([1]);
    expect(record.record.keys?.contentKey).toBeInstanceOf(CryptoKey);
    expect(key.extractable).toBe(false);
    await new IndexedDbResumeStore().remove(record.id);
    expect(await one.list()).toEqual([]);
  });
});
