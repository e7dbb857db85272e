/**
 * openDataObject against a fake store (a stubbed fetch that answers Range requests) and the
 * in-thread runner: the header read and its binding to the meta object, range reads of whole
 * frames, the whole download, re-presigning, and abort.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toBase64Url } from '../../../src/crypto/bytes.ts';
import { importWrappingKey } from '../../../src/crypto/cipher.ts';
import { ContextMismatchError, TrailingDataError, TruncatedError, WrongKeyError } from '../../../src/crypto/errors.ts';
import { parseCompleteHeader, regularFrameSize } from '../../../src/crypto/format.ts';
import { aesKeyring, type Keyring } from '../../../src/crypto/keyring.ts';
import { encryptStream } from '../../../src/crypto/message.ts';
import { objectContext } from '../../../src/crypto/objects.ts';
import { openDataObject } from '../../../src/download/data-object.ts';
import { downloadTo, type OpenedLink } from '../../../src/download/downloader.ts';
import { isAbort } from '../../../src/errors.ts';
import { coveringRun, type FrameRun } from '../../../src/layout.ts';
import type { Api } from '../../../src/transfer/api.ts';
import { directFrameRunner, type FrameRunner } from '../../../src/transfer/ranges.ts';
import { chunked, randomData, readAll } from '../helpers.ts';

const F = 64;
const ID = 'DataObjectDataObjectDa';
const key = aesKeyring(await importWrappingKey(randomData(32)));
const plain = randomData(100 * F + 5); // the object is larger than the first header read
const seal = async (bytes: Uint8Array, id = ID) =>
  readAll(chunked(bytes, 1000).pipeThrough(encryptStream(key, { context: objectContext(id, 'data'), frameLength: F })));
const object = await seal(plain);
const header = parseCompleteHeader(object);

/** A store holding `bytes` at any URL; records the Range of every GET. `answer` may replace a response. */
function fakeStore(bytes: Uint8Array, answer?: (url: string, range: string, signal: AbortSignal) => Promise<Response> | undefined) {
  const gets: { url: string; range: string }[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    const range = new Headers(init.headers).get('range') ?? '';
    gets.push({ url, range });
    const replaced = answer?.(url, range, init.signal as AbortSignal);
    if (replaced) return replaced;
    const [, start, end] = /^bytes=(\d+)-(\d+)$/.exec(range)?.map(Number) ?? [];
    const body = bytes.slice(start, end + 1);
    return new Response(body, { status: 206, headers: { 'content-length': String(body.byteLength) } });
  });
  return gets;
}

/** A response that never comes: the request ends only when its signal fires, as fetch's does. */
const hang = (signal: AbortSignal) =>
  new Promise<Response>((_, reject) => {
    const aborted = () => reject(new DOMException('aborted', 'AbortError'));
    if (signal.aborted) aborted();
    signal.addEventListener('abort', aborted);
  });

function link(over: { size?: number; dataMessageId?: string; keyring?: Keyring; objectSize?: number } = {}): OpenedLink {
  return {
    id: ID,
    meta: {
      name: 'clip.webm',
      type: 'video/webm',
      size: over.size ?? plain.byteLength,
      lastModified: 0,
      dataMessageId: over.dataMessageId ?? toBase64Url(header.messageId),
    },
    info: {
      size: over.objectSize ?? object.byteLength,
      expiresAt: null,
      dataUrl: 'https://store.test/data?signed=1',
      metaUrl: '',
      customerKey: false,
      expiresIn: 600,
    },
    keyring: over.keyring ?? key,
  };
}

/** Only fileInfo is called here: to re-presign after an expired URL. */
const api = { fileInfo: vi.fn(async () => ({ ...link().info, dataUrl: 'https://store.test/data?signed=2' })) } as unknown as Api;

/** The in-thread runner, recording the runs it is given and the signal each runs under. */
function recordingRunner(): FrameRunner & { runs: FrameRun[]; signals: (AbortSignal | undefined)[] } {
  const runner = {
    runs: [] as FrameRun[],
    signals: [] as (AbortSignal | undefined)[],
    decryptFrames: (request: Parameters<FrameRunner['decryptFrames']>[0], signal?: AbortSignal) => {
      runner.runs.push(request.run);
      runner.signals.push(signal);
      return directFrameRunner.decryptFrames(request, signal);
    },
  };
  return runner;
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(api.fileInfo).mockClear();
});

describe('openDataObject', () => {
  it('reads the header with one ranged GET and then only the frames covering each read, in the runner', async () => {
    const gets = fakeStore(object);
    const runner = recordingRunner();
    const signal = new AbortController().signal;
    const data = await openDataObject(link(), { api, runner, signal });
    expect(gets.map((g) => g.range)).toEqual(['bytes=0-4095']);
    expect(data.layout).toEqual({ plaintextSize: plain.byteLength, frameLength: F, headerLength: header.length, frameCount: 101 });
    for (const [start, end] of [
      [0, 1],
      [F - 1, F + 1],
      [50 * F + 3, 52 * F - 1],
      [plain.byteLength - 1, plain.byteLength],
      [3, plain.byteLength + 100],
    ]) {
      runner.runs.length = 0;
      gets.length = 0;
      expect(Buffer.compare(await data.read(start, end), plain.subarray(start, end)), `${start}-${end}`).toBe(0);
      const run = coveringRun(data.layout, start, end) as FrameRun;
      expect(runner.runs).toEqual([run]);
      expect(gets.map((g) => g.range)).toEqual([`bytes=${run.start}-${run.end}`]);
    }
    expect(await data.read(plain.byteLength, plain.byteLength + 1)).toHaveLength(0);
    expect(runner.signals.every((s) => s === signal)).toBe(true);
  });

  it('downloads the whole object in order through the runner', async () => {
    fakeStore(object);
    const data = await openDataObject(link(), { api, runner: directFrameRunner });
    const chunks: Uint8Array[] = [];
    const progress: number[] = [];
    const sink = { write: async (c: Uint8Array) => void chunks.push(c), close: async () => undefined, abort: vi.fn(async () => undefined) };
    await downloadTo(data, sink, { rangeSize: 3 * regularFrameSize(F), rangesInFlight: 3, onProgress: (done) => progress.push(done) });
    expect(Buffer.compare(Buffer.concat(chunks), plain)).toBe(0);
    expect(chunks).toHaveLength(Math.ceil(101 / 3));
    expect(progress.at(-1)).toBe(plain.byteLength);
    expect(sink.abort).not.toHaveBeenCalled();
  });

  it('gives each piece back to the runner once a sink that releases chunks has written it, and none to one that keeps them', async () => {
    fakeStore(object);
    const recycled: Uint8Array[] = [];
    const runner: FrameRunner = { ...directFrameRunner, recycle: (piece) => void recycled.push(piece) };
    const download = async (releasesChunks: boolean) => {
      const chunks: Uint8Array[] = [];
      const sink = {
        releasesChunks,
        write: async (c: Uint8Array) => {
          // Still the sink's while it writes: nothing is given back before its write has resolved.
          await new Promise((resolve) => setTimeout(resolve, 1));
          expect(recycled).not.toContain(c);
          chunks.push(c);
        },
        close: async () => undefined,
        abort: async () => undefined,
      };
      await downloadTo(await openDataObject(link(), { api, runner }), sink, { rangeSize: 3 * regularFrameSize(F), rangesInFlight: 3 });
      expect(Buffer.compare(Buffer.concat(chunks), plain)).toBe(0);
      return chunks;
    };
    await download(false);
    expect(recycled).toHaveLength(0);
    const chunks = await download(true);
    expect(recycled).toEqual(chunks);
    expect(recycled.every((piece, i) => piece === chunks[i])).toBe(true);
  });

  describe('refuses an object that is not the one the link names, before reading any frame', () => {
    const refused = async (over: Parameters<typeof link>[0], bytes: Uint8Array, error: abstract new (...args: never[]) => Error) => {
      const gets = fakeStore(bytes);
      const runner = recordingRunner();
      await expect(openDataObject(link({ objectSize: bytes.byteLength, ...over }), { api, runner })).rejects.toBeInstanceOf(error);
      expect(runner.runs).toEqual([]);
      expect(gets.length).toBeLessThanOrEqual(1);
    };
    it('the meta object names another message', () => refused({ dataMessageId: toBase64Url(randomData(32)) }, object, ContextMismatchError));
    it("another file's data object", async () => refused({}, await seal(plain, 'OtherOtherOtherOtherOt'), ContextMismatchError));
    it('a wrong key', async () => refused({ keyring: aesKeyring(await importWrappingKey(randomData(32))) }, object, WrongKeyError));
    it('a truncated object', () => refused({}, object.slice(0, -1), TruncatedError));
    it('an extended object', () => refused({}, Uint8Array.from([...object, 0]), TrailingDataError));
    it('a size other than the meta object says', () => refused({ size: plain.byteLength + 1 }, object, TruncatedError));
    it('an object that ends inside its header', () => refused({}, object.slice(0, header.length - 1), TruncatedError));
  });

  it('re-presigns an expired URL and reads on', async () => {
    const gets = fakeStore(object, (url, range) =>
      url.endsWith('signed=1') && range !== 'bytes=0-4095'
        ? Promise.resolve(new Response('<Error><Code>AccessDenied</Code></Error>', { status: 403 }))
        : undefined,
    );
    const data = await openDataObject(link(), { api, runner: directFrameRunner });
    expect(Buffer.compare(await data.read(10 * F, 11 * F), plain.subarray(10 * F, 11 * F))).toBe(0);
    expect(api.fileInfo).toHaveBeenCalledTimes(1);
    expect(gets.map((g) => g.url.split('?')[1])).toEqual(['signed=1', 'signed=1', 'signed=2']);
  });

  it('stops a read in flight when its signal fires, and reads nothing after', async () => {
    let holding: (() => void) | undefined;
    const gets = fakeStore(object, (_url, range, signal) => {
      if (range === 'bytes=0-4095') return undefined;
      holding?.();
      return hang(signal);
    });
    const controller = new AbortController();
    const data = await openDataObject(link(), { api, runner: directFrameRunner, signal: controller.signal });
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const reading = data.read(0, F);
    await held;
    controller.abort();
    await expect(reading).rejects.toSatisfy(isAbort);
    const before = gets.length;
    await expect(data.read(F, 2 * F)).rejects.toSatisfy(isAbort);
    expect(gets.length).toBe(before);
  });
});
