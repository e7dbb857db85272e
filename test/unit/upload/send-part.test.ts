/**
 * The one part path (upload/send-part.ts): one seal, then sign and PUT under the one retry loop,
 * against a fake store (a stubbed fetch) and a fake API whose sign call is the only way to a fresh
 * URL. The sealer is a stand-in that counts its calls, so what is checked here is the loop.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TransferError } from '../../../src/errors.ts';
import type { PartsRef } from '../../../src/transfer/api.ts';
import { MAX_ATTEMPTS } from '../../../src/transfer/retry.ts';
import type { PartSealer } from '../../../src/upload/sealer.ts';
import { type SendPartRequest, sendPart } from '../../../src/upload/send-part.ts';

/** The OPFS spool, which Node lacks: off (null, the body is sent from memory) unless a test turns it on. */
const spooling = vi.hoisted(() => ({ on: false, removed: 0 }));
vi.mock('../../../src/transfer/spool.ts', () => ({
  spool: async (bytes: Uint8Array<ArrayBuffer>) =>
    spooling.on
      ? {
          body: new Blob([bytes.slice()]),
          release: async () => {
            spooling.removed++;
          },
        }
      : null,
}));

const UPLOAD: PartsRef = { id: 'file1'.padEnd(22, 'x'), ticket: 'ticket-1', uploadId: 'upload-1' };
const BODY = new Uint8Array(1000).fill(7);
const PART = { partNumber: 3, plainStart: 0, plainEnd: 1000, firstSeq: 1, endsMessage: true, includesHeader: false, cipherSize: BODY.byteLength };

/** What the store answers to each PUT in turn: a status, or a dropped connection. */
type Answer = number | 'reset' | 'hang';

class FakeStore {
  answers: Answer[] = [];
  puts: { url: string; headers: Record<string, string>; body: Uint8Array }[] = [];

  fetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const body = new Uint8Array(init?.body instanceof Blob ? await init.body.arrayBuffer() : (init?.body as Uint8Array));
    this.puts.push({ url: String(url), headers: { ...(init?.headers as Record<string, string>) }, body });
    const answer = this.answers.shift() ?? 200;
    if (answer === 'reset') throw new TypeError('fetch failed');
    if (answer === 'hang') {
      return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true }));
    }
    if (answer === 200) return new Response(null, { status: 200, headers: { ETag: `"etag-${this.puts.length}"` } });
    return new Response(`<Error><Code>${answer === 403 ? 'AccessDenied' : 'SlowDown'}</Code></Error>`, { status: answer });
  };
}

/** The API's sign call: a fresh URL each time, with the checksum signed in as a header when given. */
class FakeApi {
  signs: { upload: PartsRef; partNumbers: number[]; checksums?: string[] }[] = [];
  partUrls = async (upload: PartsRef, partNumbers: number[], _signal?: AbortSignal, checksums?: string[]) => {
    this.signs.push({ upload, partNumbers, checksums });
    const n = this.signs.length;
    return {
      urls: partNumbers.map((partNumber, i) =>
        checksums
          ? { partNumber, url: `http://store.test/part/${partNumber}?signed=${n}`, headers: { 'x-amz-checksum-sha256': checksums[i] } }
          : { partNumber, url: `http://store.test/part/${partNumber}?signed=${n}` },
      ),
    };
  };
}

/** Seals by copying; counts seals and releases (a part's release is idempotent, as the PartSealer contract says). */
class CountingSealer implements PartSealer {
  seals = 0;
  releases = 0;
  plan = () => [PART];
  seal = async () => {
    this.seals++;
    let released = false;
    const release = () => {
      if (!released) this.releases++;
      released = true;
    };
    return { body: BODY.slice(), release };
  };
}

let store: FakeStore;
let api: FakeApi;
let sealer: CountingSealer;
const request = (overrides: Partial<SendPartRequest> = {}): SendPartRequest => ({
  file: new Blob([BODY]),
  part: PART,
  keys: { contentKey: {} as CryptoKey, messageId: new Uint8Array(32), frameLength: 4096 },
  upload: UPLOAD,
  url: 'http://store.test/part/3?batch',
  checksum: null,
  ...overrides,
});
const send = (overrides: Partial<SendPartRequest> = {}, signal?: AbortSignal) =>
  sendPart(request(overrides), { api, sealer, recordDigest: async () => undefined, signal });

beforeEach(() => {
  store = new FakeStore();
  api = new FakeApi();
  sealer = new CountingSealer();
  vi.stubGlobal('fetch', store.fetch);
  // No jitter: every backoff is 0 ms, so the loop runs at once.
  vi.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('sendPart', () => {
  it('sends the part once to the URL signed ahead and returns its ETag', async () => {
    await expect(send()).resolves.toEqual({ etag: '"etag-1"', fromMemory: true });
    expect(store.puts.map((p) => p.url)).toEqual(['http://store.test/part/3?batch']);
    expect(api.signs).toEqual([]);
    expect([sealer.seals, sealer.releases]).toEqual([1, 1]);
  });

  it('after a 403 (the URL expired) signs the part again through the API, with the upload ticket, and sends the same sealed bytes', async () => {
    store.answers = [403, 200];
    await expect(send()).resolves.toEqual({ etag: '"etag-2"', fromMemory: true });
    expect(api.signs).toEqual([{ upload: UPLOAD, partNumbers: [3], checksums: undefined }]);
    expect(store.puts.map((p) => p.url)).toEqual(['http://store.test/part/3?batch', 'http://store.test/part/3?signed=1']);
    expect(store.puts[1].body).toEqual(store.puts[0].body);
    expect(sealer.seals).toBe(1);
  });

  it('after a network error on a presigned URL (a store may refuse an expired one without CORS headers) signs again before resending', async () => {
    store.answers = ['reset', 200];
    await expect(send()).resolves.toEqual({ etag: '"etag-2"', fromMemory: true });
    expect(api.signs).toHaveLength(1);
    expect(store.puts.map((p) => p.url)).toEqual(['http://store.test/part/3?batch', 'http://store.test/part/3?signed=1']);
    expect(sealer.seals).toBe(1);
  });

  it('backs off and resends to the same URL after 5xx and SlowDown, without signing again', async () => {
    store.answers = [500, 503, 200];
    await expect(send()).resolves.toEqual({ etag: '"etag-3"', fromMemory: true });
    expect(api.signs).toEqual([]);
    expect(new Set(store.puts.map((p) => p.url))).toEqual(new Set(['http://store.test/part/3?batch']));
    expect(Math.random).toHaveBeenCalledTimes(2); // one jittered backoff per retry
  });

  it(`gives up after ${MAX_ATTEMPTS} attempts with the last error, and releases the part`, async () => {
    store.answers = Array(MAX_ATTEMPTS + 2).fill(503);
    await expect(send()).rejects.toMatchObject({ code: 'HttpStatus', status: 503, storeCode: 'SlowDown' });
    expect(store.puts).toHaveLength(MAX_ATTEMPTS);
    expect([sealer.seals, sealer.releases]).toEqual([1, 1]);
  });

  it('re-signs after each 403 (a fresh URL may expire again) until attempts run out, and fails at once on other 4xx', async () => {
    store.answers = Array(MAX_ATTEMPTS).fill(403);
    await expect(send()).rejects.toMatchObject({ code: 'HttpStatus', status: 403 });
    expect([store.puts.length, api.signs.length]).toEqual([MAX_ATTEMPTS, MAX_ATTEMPTS - 1]);

    store.puts = [];
    store.answers = [400];
    await expect(send()).rejects.toMatchObject({ code: 'HttpStatus', status: 400 });
    expect(store.puts).toHaveLength(1);
  });

  it("fails loudly, naming the CORS rule, when the store's answer does not expose the ETag", async () => {
    vi.stubGlobal('fetch', async () => new Response(null, { status: 200 }));
    await expect(send()).rejects.toMatchObject({ code: 'MissingETag' });
  });

  it('is quiet when aborted mid-PUT: Aborted, nothing sent or signed after, the part released', async () => {
    store.answers = ['hang'];
    const controller = new AbortController();
    const sent = send({}, controller.signal);
    await vi.waitFor(() => expect(store.puts).toHaveLength(1));
    controller.abort();
    await expect(sent).rejects.toEqual(new TransferError('Aborted', 'Cancelled'));
    expect([store.puts.length, api.signs.length, sealer.releases]).toEqual([1, 0, 1]);
  });

  it('with a checksum, signs each URL with the digest of the sealed bytes and sends it as the signed header, also after a 403', async () => {
    store.answers = [403, 200];
    const digest = createHash('sha256').update(BODY).digest('base64');
    await expect(send({ url: undefined, checksum: 'sha256' })).resolves.toEqual({ etag: '"etag-2"', fromMemory: true });
    expect(api.signs).toEqual([
      { upload: UPLOAD, partNumbers: [3], checksums: [digest] },
      { upload: UPLOAD, partNumbers: [3], checksums: [digest] },
    ]);
    expect(store.puts.map((p) => [p.url, p.headers['x-amz-checksum-sha256']])).toEqual([
      ['http://store.test/part/3?signed=1', digest],
      ['http://store.test/part/3?signed=2', digest],
    ]);
  });

  it('retries a sign call that failed (the API restarting) as an attempt of the same loop', async () => {
    let refusals = 1;
    const partUrls = api.partUrls;
    api.partUrls = async (...args) => {
      if (refusals-- > 0) throw new TransferError('Api', 'Service unavailable', 503, { apiCode: 'Unknown' });
      return partUrls(...args);
    };
    await expect(send({ url: undefined, checksum: 'sha256' })).resolves.toEqual({ etag: '"etag-1"', fromMemory: true });
    expect([api.signs.length, store.puts.length]).toEqual([1, 1]);
  });

  it('gives the sealed buffer back as soon as the part is spooled, before the PUT, and the spool file once the PUT is done', async () => {
    spooling.on = true;
    try {
      const seen: number[] = [];
      store.answers = [503, 200];
      const fetch = store.fetch;
      vi.stubGlobal('fetch', async (url: string | URL, init?: RequestInit) => {
        seen.push(sealer.releases);
        return fetch(url, init);
      });
      await expect(send()).resolves.toEqual({ etag: '"etag-2"', fromMemory: false });
      // Released once, before the first PUT; both PUTs sent the spooled bytes; the file removed after.
      expect(seen).toEqual([1, 1]);
      expect(sealer.releases).toBe(1);
      expect(store.puts.map((p) => Buffer.from(p.body).equals(Buffer.from(BODY)))).toEqual([true, true]);
      expect(spooling.removed).toBe(1);
    } finally {
      spooling.on = false;
      spooling.removed = 0;
    }
  });

  it('sends nothing before the sealer has handed the part back (its digest saved), and nothing at all if sealing fails', async () => {
    sealer.seal = async () => {
      throw new TransferError('SourceChanged', 'Part 3 changed');
    };
    await expect(send()).rejects.toMatchObject({ code: 'SourceChanged' });
    expect([store.puts.length, api.signs.length]).toEqual([0, 0]);
  });
});
