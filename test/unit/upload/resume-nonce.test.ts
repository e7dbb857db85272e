/**
 * Nonce safety on resume (issue 13). A resumed or retried part is sealed again with the same key
 * and the same IVs (frame sequence numbers), which is safe only for byte-identical plaintext. These
 * tests run the real part worker code (send-part.ts: read, seal, digest of the tags, PUT) against a
 * fake API and a fake store, and watch every PUT that leaves the page: under one key (one upload),
 * a part may only ever be sent as one ciphertext. Every sealRun is watched too, to say which key
 * sealed what: a changed part is sealed again in the worker, found to differ there and wiped,
 * never sent (part-digest.ts). The changed file keeps its size, lastModified and first and last
 * MiB, so the fingerprint (fingerprint.ts) cannot tell it apart; only the per-part digests can.
 */
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TransferError } from '../../../src/errors.ts';
import { planParts } from '../../../src/layout.ts';
import type { Api, UploadRef } from '../../../src/transfer/api.ts';
import { directRunner } from '../../../src/transfer/parts.ts';
import { describeError } from '../../../src/ui/messages.ts';
import { recordedPartDigest } from '../../../src/upload/part-digest.ts';
import { UploadQueue } from '../../../src/upload/queue.ts';
import { IndexedDbResumeStore, MemoryResumeStore, type ResumeStore, type SavedUpload } from '../../../src/upload/resume-store.ts';
import { aesGcmSealer } from '../../../src/upload/sealer.ts';
import { type SendPartContext, sendPart } from '../../../src/upload/send-part.ts';
import { randomData } from '../helpers.ts';

/** Every sealRun: which key, from which frame, over which plaintext (its SHA-256). */
const { seals } = vi.hoisted(() => ({ seals: [] as { key: CryptoKey; firstSeq: number; plain: string }[] }));
vi.mock('../../../src/crypto/frames.ts', async (importOriginal) => {
  const frames = await importOriginal<typeof import('../../../src/crypto/frames.ts')>();
  const sealRun: typeof frames.sealRun = async (keys, plaintext, firstSeq, ...rest) => {
    seals.push({ key: keys.contentKey, firstSeq, plain: createHash('sha256').update(plaintext).digest('hex') });
    return frames.sealRun(keys, plaintext, firstSeq, ...rest);
  };
  return { ...frames, sealRun };
});

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const FRAME = 64 * 1024;
const SIZE = 3 * PART;
const LAST_MODIFIED = 1_700_000_000_000;
/** Part 2's first frame. */
const PART2_SEQ = PART / FRAME + 1;

class FakeApi {
  created = 0;
  completed: { id: string; parts: { partNumber: number; etag: string }[] }[] = [];
  aborted: string[] = [];
  api = {
    createUpload: async () => ({
      id: `file${++this.created}`.padEnd(22, 'x'),
      uploadId: `upload${this.created}`,
      ticket: `ticket${this.created}`,
      resumableUntil: Date.now() + 86_400_000,
      customerKey: false,
      metaUrl: 'http://store.test/meta',
      metaHeaders: {},
      expiresAt: null,
      ownerToken: 'owner',
    }),
    partUrls: async ({ id }: UploadRef, partNumbers: number[]) => ({
      urls: partNumbers.map((partNumber) => ({ partNumber, url: `http://store.test/${id}/part/${partNumber}` })),
    }),
    uploadedParts: async () => ({ supported: false, parts: [] }),
    complete: async ({ id }: UploadRef, parts: { partNumber: number; etag: string }[]) => {
      this.completed.push({ id, parts });
    },
    abort: async ({ id }: UploadRef) => {
      this.aborted.push(id);
      return { multipartAborted: true };
    },
  } as unknown as Api; // only the calls the queue makes
}

/** The store behind the presigned URLs: each part PUT is answered with an ETag, unless held or refused. */
class FakeStore {
  /** parts whose PUT never answers (until aborted): the page died, or the answer was lost */
  hold = new Set<number>();
  /** parts whose PUT is refused with a 400 (the file fails, to be retried) */
  refuse = new Set<number>();
  /** every part PUT that left the page */
  puts: number[] = [];
  /** the bodies of those PUTs, by upload id and part number, in order */
  bodies = new Map<string, Uint8Array[]>();
  /** called as each part PUT leaves the page */
  beforePut?: (partNumber: number) => void;

  sent(id: string, partNumber: number): Uint8Array[] {
    return this.bodies.get(`${id}/${partNumber}`) ?? [];
  }

  fetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const [, id, part] = /\/([^/]+)\/part\/(\d+)$/.exec(String(url)) ?? [];
    const partNumber = Number(part ?? 0);
    if (!partNumber) return new Response(null, { status: 200 }); // the meta object
    const body = init?.body instanceof Blob ? new Uint8Array(await init.body.arrayBuffer()) : new Uint8Array(init?.body as Uint8Array);
    this.bodies.set(`${id}/${partNumber}`, [...this.sent(id, partNumber), body]);
    this.puts.push(partNumber);
    this.beforePut?.(partNumber);
    if (this.refuse.has(partNumber)) return new Response('<Error><Code>InvalidPart</Code></Error>', { status: 400 });
    if (this.hold.has(partNumber)) {
      return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true }));
    }
    return new Response(null, { status: 200, headers: { ETag: `"etag-${partNumber}"` } });
  };
}

/** A File whose bytes can be changed under it, as a file on disk edited between two reads. */
class ChangingFile extends File {
  constructor(
    public content: Uint8Array<ArrayBuffer>,
    name: string,
  ) {
    super([content], name, { lastModified: LAST_MODIFIED });
  }
  override slice(start?: number, end?: number, type?: string): Blob {
    return new Blob([this.content]).slice(start, end, type);
  }
}

/** A resume store as slow as a busy IndexedDB: a PUT that did not wait for its save would go first. */
class SlowResumeStore extends MemoryResumeStore {
  override async put(saved: SavedUpload): Promise<void> {
    await new Promise((r) => setTimeout(r, 200));
    return super.put(saved);
  }
}

/** Which key this is, for non-extractable keys: what it makes of one zero block under a zero IV. */
async function keyId(key: CryptoKey): Promise<string> {
  const out = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, key, new Uint8Array(16));
  return Buffer.from(out).toString('hex');
}

/** The seals as key id → first frame → every distinct plaintext sealed there. */
async function sealsByKey(): Promise<Map<string, Map<number, Set<string>>>> {
  const byKey = new Map<string, Map<number, Set<string>>>();
  for (const { key, firstSeq, plain } of seals) {
    const id = await keyId(key);
    const runs = byKey.get(id) ?? new Map<number, Set<string>>();
    byKey.set(id, runs);
    runs.set(firstSeq, (runs.get(firstSeq) ?? new Set()).add(plain));
  }
  return byKey;
}

/** Under one key (one upload), no part (so no IV) ever left the page as two ciphertexts. */
function expectNoNonceReuse(): void {
  for (const [part, bodies] of store.bodies) expect(new Set(bodies.map(sha256)).size, `upload/part ${part}`).toBe(1);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/**
 * A part's recorded digest, computed independently from the sealed part as sent: SHA-256 of its
 * frames' 16-byte tags, in order (a regular frame: sequence number, IV, ciphertext, tag; the final
 * one: 0xFFFFFFFF, sequence number, IV, content length, ciphertext, tag), after `prefix` header bytes.
 */
const partDigestHex = (sealed: Uint8Array, prefix = 0) => {
  const tags = createHash('sha256');
  for (let at = prefix; at < sealed.byteLength; ) {
    const view = new DataView(sealed.buffer, sealed.byteOffset + at);
    const final = view.getUint32(0) === 0xffffffff;
    const end = at + (final ? 4 + 4 + 12 + 4 + view.getUint32(4 + 4 + 12) : 4 + 12 + FRAME) + 16;
    tags.update(sealed.subarray(end - 16, end));
    at = end;
  }
  return tags.digest('hex');
};
/** The same size, time, first and last MiB: one byte in the middle of part 2 differs. */
function changedInPart2(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const changed = bytes.slice();
  changed[PART + PART / 2] ^= 0xff;
  return changed;
}

const settle = () => new Promise((r) => setTimeout(r, 30));
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 3000 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 10));
  if (!(await condition())) throw new Error('timed out waiting');
}

let api: FakeApi;
let store: FakeStore;
let saved: ResumeStore;
const makeQueue = (resume = saved) =>
  new UploadQueue({
    api: api.api,
    runner: directRunner,
    store: resume,
    describe: describeError,
    partsInFlight: 3,
    partPlaintextSize: PART,
    frameLength: FRAME,
  });

beforeEach(() => {
  seals.length = 0;
  api = new FakeApi();
  store = new FakeStore();
  saved = new SlowResumeStore();
  vi.stubGlobal('fetch', store.fetch);
});
afterEach(() => vi.unstubAllGlobals());

/**
 * A first visit: parts 1 and 3 are acknowledged, part 2 is sealed and PUT but its answer never
 * comes (the page is closed). Every PUT found its part's digest already saved. Returns the key
 * part 2 was sealed with.
 */
async function interruptedWithPart2InFlight(original: File): Promise<string> {
  store.hold.add(2);
  // What the saved record held as each PUT left (a read that lands later can only see more).
  const savedAtPut: Promise<boolean>[] = [];
  store.beforePut = (n) => savedAtPut.push(saved.list().then(([s]) => s !== undefined && recordedPartDigest(s.record.partDigests, n) !== undefined));
  const first = makeQueue();
  await first.add([{ file: original }]);
  await until(async () => store.puts.includes(2) && (await saved.list())[0]?.record.done.length === 2);
  first.pauseAll();
  await first.idle();
  store.hold.clear();
  store.beforePut = undefined;
  expect(await Promise.all(savedAtPut)).toEqual([true, true, true]);
  return part2Key();
}

/** The key part 2 was first sealed with (the meta object is sealed too, under its own key). */
async function part2Key(): Promise<string> {
  const seal = seals.find((s) => s.firstSeq === PART2_SEQ);
  if (!seal) throw new Error('part 2 was never sealed');
  return keyId(seal.key);
}

describe('nonce safety on resume', () => {
  it('a part changed in the middle of the file after it was sent is never sent again under that key: the upload restarts afresh', async () => {
    const bytes = randomData(SIZE);
    const oldKey = await interruptedWithPart2InFlight(new File([bytes], 'movie.bin', { lastModified: LAST_MODIFIED }));

    // After a reload: the same name, size, time and first and last MiB, but other bytes in part 2.
    const second = makeQueue();
    await second.restore();
    await second.add([{ file: new File([changedInPart2(bytes)], 'movie.bin', { lastModified: LAST_MODIFIED }) }]);
    await second.idle();

    expectNoNonceReuse();
    const byKey = await sealsByKey();
    // Under the old key part 2 was sealed over the changed bytes too, in the worker: its tags
    // differed from those recorded, so it was wiped there, and only the first ciphertext ever left.
    expect(byKey.get(oldKey)?.get(PART2_SEQ)).toEqual(
      new Set([sha256(bytes.subarray(PART, 2 * PART)), sha256(changedInPart2(bytes).subarray(PART, 2 * PART))]),
    );
    expect(store.sent('file1'.padEnd(22, 'x'), 2)).toHaveLength(1);
    // The whole file went again under one new key, as a new upload; the old one was aborted.
    const newKeys = [...byKey].filter(([k, runs]) => k !== oldKey && runs.has(PART2_SEQ)).map(([k]) => k);
    expect(newKeys).toHaveLength(1);
    expect([...(byKey.get(newKeys[0])?.keys() ?? [])].sort((a, b) => a - b)).toEqual([1, PART2_SEQ, 2 * PART2_SEQ - 1]);
    expect(api.created).toBe(2);
    expect(api.aborted).toEqual(['file1'.padEnd(22, 'x')]);
    expect(api.completed.map((c) => [c.id, c.parts.length])).toEqual([['file2'.padEnd(22, 'x'), 3]]);
    expect(second.getSnapshot()).toMatchObject([{ state: { state: 'done' }, notice: describeError(new TransferError('SourceChanged', '')) }]);
    expect(await saved.list()).toEqual([]);
  });

  it('a part whose PUT failed and whose bytes then changed is not sent again on retry: the upload restarts afresh', async () => {
    const file = new ChangingFile(randomData(SIZE), 'notes.bin');
    store.refuse.add(2);
    const q = makeQueue();
    await q.add([{ file }]);
    await q.idle();
    expect(q.getSnapshot()[0].state).toMatchObject({ state: 'failed', message: expect.stringContaining('HTTP 400') });
    const oldKey = await part2Key();
    const original = file.content;

    file.content = changedInPart2(original);
    store.refuse.clear();
    q.retry(q.getSnapshot()[0].key);
    await until(() => q.getSnapshot()[0]?.state.state === 'done');
    await q.idle();

    expectNoNonceReuse();
    // Sealed again over the changed bytes under the old key, refused in the worker: the refused PUT
    // of the original is all that ever left for part 2 of the first upload.
    expect((await sealsByKey()).get(oldKey)?.get(PART2_SEQ)).toEqual(
      new Set([sha256(original.subarray(PART, 2 * PART)), sha256(file.content.subarray(PART, 2 * PART))]),
    );
    expect(store.sent('file1'.padEnd(22, 'x'), 2)).toHaveLength(1);
    expect(api.created).toBe(2);
    expect(api.aborted).toEqual(['file1'.padEnd(22, 'x')]);
    expect(api.completed.map((c) => c.id)).toEqual(['file2'.padEnd(22, 'x')]);
    expect(q.getSnapshot()).toMatchObject([{ state: { state: 'done' } }]);
    expect(q.getSnapshot()[0].notice).toBeTruthy();
  });

  it('an unchanged part sealed before is sealed again on resume with the same key and accepted', async () => {
    const bytes = randomData(SIZE);
    const oldKey = await interruptedWithPart2InFlight(new File([bytes], 'movie.bin', { lastModified: LAST_MODIFIED }));

    const second = makeQueue();
    await second.restore();
    await second.add([{ file: new File([bytes], 'movie.bin', { lastModified: LAST_MODIFIED }) }]);
    await second.idle();

    expectNoNonceReuse();
    const part2 = seals.filter((s) => s.firstSeq === PART2_SEQ);
    expect(part2).toHaveLength(2);
    expect(await Promise.all(part2.map((s) => keyId(s.key)))).toEqual([oldKey, oldKey]);
    expect(api.created).toBe(1);
    expect(api.aborted).toEqual([]);
    expect(api.completed.map((c) => [c.id, c.parts.map((p) => p.partNumber).sort()])).toEqual([['file1'.padEnd(22, 'x'), [1, 2, 3]]]);
    expect(second.getSnapshot()).toMatchObject([{ state: { state: 'done' } }]);
    expect(second.getSnapshot()[0].notice).toBeUndefined();
  });

  it('the digests of the sealed parts survive a save and load through IndexedDB, and still guard the resume', async () => {
    saved = new IndexedDbResumeStore();
    const bytes = randomData(SIZE);
    await interruptedWithPart2InFlight(new File([bytes], 'kept.bin', { lastModified: LAST_MODIFIED }));

    const [{ record }] = await new IndexedDbResumeStore().list();
    expect(record.done.map((p) => p.partNumber).sort()).toEqual([1, 3]);
    // 32 bytes per part, in part order; part 2 never acknowledged, yet its digest is there.
    expect(record.partDigests).toBeInstanceOf(Uint8Array);
    const sent = [1, 2, 3].map((n) => store.sent(record.id, n)[0]);
    expect(Buffer.from(record.partDigests).toString('hex')).toBe(sent.map((body, i) => partDigestHex(body, i === 0 ? record.header.byteLength : 0)).join(''));

    // Loaded again, the digests still guard part 2: the changed file restarts, the unchanged one would not.
    const second = makeQueue(new IndexedDbResumeStore());
    await second.restore();
    await second.add([{ file: new File([changedInPart2(bytes)], 'kept.bin', { lastModified: LAST_MODIFIED }) }]);
    await second.idle();
    expectNoNonceReuse();
    expect(api.aborted).toEqual(['file1'.padEnd(22, 'x')]);
    expect(await new IndexedDbResumeStore().list()).toEqual([]);
  });

  it("a record saved by the version that held parts to their plaintext's SHA-256 is not resumed under its key: the file starts afresh", async () => {
    const bytes = randomData(SIZE);
    const oldKey = await interruptedWithPart2InFlight(new File([bytes], 'movie.bin', { lastModified: LAST_MODIFIED }));
    // As that version saved it: `plainDigests` (part 2's set, its bytes' digest unknown to the tags), no `partDigests`.
    const [old] = await saved.list();
    const { partDigests: _, ...rest } = old.record;
    await saved.put({ ...old, record: { ...rest, plainDigests: new Uint8Array(3 * 32).fill(7) } as unknown as typeof old.record });

    const second = makeQueue();
    await second.restore();
    // The very same bytes: with the fingerprint alone it would go on under the old key.
    await second.add([{ file: new File([bytes], 'movie.bin', { lastModified: LAST_MODIFIED }) }]);
    await second.idle();

    expectNoNonceReuse();
    expect(seals.filter((s) => s.firstSeq === PART2_SEQ)).toHaveLength(2);
    expect(await keyId(seals.filter((s) => s.firstSeq === PART2_SEQ)[1].key)).not.toBe(oldKey);
    expect(api.created).toBe(2);
    expect(api.aborted).toEqual(['file1'.padEnd(22, 'x')]);
    expect(api.completed.map((c) => [c.id, c.parts.length])).toEqual([['file2'.padEnd(22, 'x'), 3]]);
    expect(second.getSnapshot()).toMatchObject([{ state: { state: 'done' } }]);
  });
});

describe('sendPart (the worker side)', () => {
  const keysFor = async () => ({
    contentKey: await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']),
    messageId: new Uint8Array(32),
    frameLength: FRAME,
  });
  const [, part2] = planParts(SIZE, FRAME, 0, PART);
  const ID = 'file1'.padEnd(22, 'x');
  const request = (file: Blob, keys: Awaited<ReturnType<typeof keysFor>>, partDigest?: Uint8Array) => ({
    file,
    part: part2,
    keys,
    upload: { id: ID, ticket: 'ticket1', uploadId: 'upload1' },
    url: `http://store.test/${ID}/part/2`,
    checksum: null,
    partDigest,
  });
  const context = (recordDigest: SendPartContext['recordDigest']): SendPartContext => ({ api: new FakeApi().api, sealer: aesGcmSealer, recordDigest });

  it('refuses to send a part whose sealed frames differ from those recorded when it was first sent: nothing leaves, nothing is recorded', async () => {
    const bytes = randomData(SIZE);
    const keys = await keysFor();
    let recorded: Uint8Array | undefined;
    await sendPart(
      request(new Blob([bytes]), keys),
      context(async (digest) => {
        recorded = digest;
      }),
    );
    expect(store.sent(ID, 2)).toHaveLength(1);
    const hook = vi.fn(async () => undefined);
    const refused = sendPart(request(new Blob([changedInPart2(bytes)]), keys, recorded), context(hook));
    await expect(refused).rejects.toMatchObject({ code: 'SourceChanged' });
    expect(seals).toHaveLength(2); // sealed again in the worker, and wiped there
    expect(store.sent(ID, 2)).toHaveLength(1);
    expect(hook).not.toHaveBeenCalled();
    // The same bytes again are the same ciphertext, and go.
    await expect(sendPart(request(new Blob([bytes]), keys, recorded), context(hook))).resolves.toEqual({ etag: '"etag-2"', fromMemory: true });
    expectNoNonceReuse();
    expect(store.sent(ID, 2)).toHaveLength(2);
  });

  it("hands the digest of the part's tags to the page and PUTs only once the page has recorded it", async () => {
    const bytes = randomData(SIZE);
    let recorded: () => void = () => undefined;
    const digests: Uint8Array[] = [];
    const hook = (digest: Uint8Array) => {
      digests.push(digest);
      return new Promise<void>((resolve) => {
        recorded = resolve;
      });
    };
    const sent = sendPart(request(new Blob([bytes]), await keysFor()), context(hook));
    await until(() => digests.length === 1);
    await settle();
    expect(store.puts).toEqual([]); // sealed, but not sent while the digest is not saved
    recorded();
    await expect(sent).resolves.toEqual({ etag: '"etag-2"', fromMemory: true });
    expect(store.puts).toEqual([2]);
    expect(Buffer.from(digests[0]).toString('hex')).toBe(partDigestHex(store.sent(ID, 2)[0]));
  });
});
