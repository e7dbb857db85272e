/**
 * What the page does where an engine lacks a feature Chromium has (issue 18). Each test takes the
 * feature away in Node, as WebKitGTK 2.50 / older Safari lack it, and runs the code that used it.
 * Features are detected once per realm (src/platform/features.ts): a test that takes one away
 * imports the code afresh (`fresh()`), as a new page or worker would load it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { importWrappingKey } from '../../../src/crypto/cipher.ts';
import { aesKeyring } from '../../../src/crypto/keyring.ts';
import { decryptBytes, encryptBytes } from '../../../src/crypto/message.ts';
import { objectContext } from '../../../src/crypto/objects.ts';
import { randomData } from '../helpers.ts';

const restore: (() => void)[] = [];
afterEach(() => {
  for (const undo of restore.splice(0)) undo();
});

/** Sets `key` on `target` for the rest of the test. */
function putting(target: object, key: PropertyKey, value: unknown): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, { value, configurable: true, writable: true });
  restore.push(() => (descriptor ? Object.defineProperty(target, key, descriptor) : delete (target as Record<PropertyKey, unknown>)[key]));
}

/** The module as a newly loaded realm has it: its features detected from the globals now. */
async function fresh<T>(path: string): Promise<T> {
  vi.resetModules();
  return (await import(path)) as T;
}

type Http = typeof import('../../../src/transfer/http.ts');
type Spool = typeof import('../../../src/transfer/spool.ts');
type Features = typeof import('../../../src/platform/features.ts');
type Sinks = typeof import('../../../src/download/sinks.ts');

/** Removes `key` from `target` for the rest of the test. */
function without(target: object, key: PropertyKey): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (!descriptor) throw new Error(`nothing to remove: ${String(key)}`);
  delete (target as Record<PropertyKey, unknown>)[key];
  restore.push(() => Object.defineProperty(target, key, descriptor));
}

describe('streams that are not async-iterable (WebKitGTK 2.50, Safari before 26)', () => {
  it('seals and opens a small message (the upload meta object) by reading, not iterating', async () => {
    without(ReadableStream.prototype, Symbol.asyncIterator);
    const keyring = aesKeyring(await importWrappingKey(randomData(32)));
    const context = objectContext('GapsGapsGapsGapsGapsGa', 'meta');
    const plain = randomData(1000);
    const sealed = await encryptBytes(keyring, plain, { context, frameLength: 64 });
    expect(Buffer.from(await decryptBytes(keyring, sealed, { context }))).toEqual(Buffer.from(plain));
  });
});

describe('no BYOB readers (WebKitGTK 2.50)', () => {
  /** A body that counts the readers asked of it, and whose BYOB reader throws when `byobThrows`. */
  const response = (bytes: Uint8Array<ArrayBuffer>, asked: string[], byobThrows = false) => {
    const r = new Response(bytes);
    const stream = r.body as ReadableStream<Uint8Array>;
    const getReader = stream.getReader.bind(stream) as (options?: { mode?: 'byob' }) => ReadableStreamReader<Uint8Array>;
    Object.defineProperty(stream, 'getReader', {
      value: (options?: { mode?: 'byob' }) => {
        asked.push(options?.mode ?? 'default');
        if (options?.mode === 'byob' && byobThrows) throw new TypeError('byob readers are not supported');
        return getReader(options);
      },
    });
    return r;
  };

  it('chooses the array-buffer path once: no BYOB reader is asked for, the body is whole, a short one refused', async () => {
    without(globalThis, 'ReadableStreamBYOBReader');
    const { readExactly } = await fresh<Http>('../../../src/transfer/http.ts');
    const { bodyReadPath } = await import('../../../src/platform/features.ts');
    expect(bodyReadPath()).toBe('array-buffer');
    const body = randomData(300_000);
    const asked: string[] = [];
    expect(Buffer.from(await readExactly(response(body, asked, true), body.byteLength))).toEqual(Buffer.from(body));
    await expect(readExactly(response(body.subarray(0, 1000), asked, true), body.byteLength)).rejects.toMatchObject({ code: 'Network' });
    await expect(readExactly(response(body, asked, true), body.byteLength - 1)).rejects.toMatchObject({ code: 'Network' });
    expect(asked.filter((mode) => mode === 'byob')).toEqual([]);
  });

  it('where the engine has them, reads with a BYOB reader into the buffer given (unchanged)', async () => {
    const { readExactly } = await fresh<Http>('../../../src/transfer/http.ts');
    const body = randomData(300_000);
    const asked: string[] = [];
    const into = new Uint8Array(body.byteLength);
    const read = await readExactly(response(body, asked), body.byteLength, into);
    expect(asked).toEqual(['byob']);
    expect(Buffer.from(read)).toEqual(Buffer.from(body));
    expect(into.byteLength).toBe(0); // its buffer was transferred into the reads
    // A body that is not a byte stream, in an engine that has BYOB readers: read whole.
    expect(Buffer.from(await readExactly(response(body, [], true), body.byteLength))).toEqual(Buffer.from(body));
  });
});

describe('no OPFS or no sync access handles (WebKitGTK 2.50, Safari before 17, the page itself)', () => {
  it('spool() answers null without probing storage, so the part is sent from memory, and housekeeping is quiet', async () => {
    // Node has no navigator.storage at all: the same as an engine without getDirectory.
    expect(typeof (globalThis.navigator as { storage?: unknown } | undefined)?.storage).toBe('undefined');
    const { clearStaleSpool, spool } = await fresh<Spool>('../../../src/transfer/spool.ts');
    const { uploadBodyPath } = await import('../../../src/platform/features.ts');
    expect(uploadBodyPath()).toBe('memory');
    expect(await spool(randomData(1000))).toBeNull();
    await expect(clearStaleSpool()).resolves.toBeUndefined();
  });

  it('OPFS without createSyncAccessHandle (the page, Safari before 17): memory, and the storage is never probed', async () => {
    const opfs = fakeOpfs({ syncHandles: false });
    const { spool } = await fresh<Spool>('../../../src/transfer/spool.ts');
    expect(await spool(randomData(1000))).toBeNull();
    expect(opfs.calls).toEqual([]);
  });

  it('where OPFS has sync access handles, the part is spooled to a file-backed body (unchanged)', async () => {
    const opfs = fakeOpfs({ syncHandles: true });
    const { spool } = await fresh<Spool>('../../../src/transfer/spool.ts');
    const { uploadBodyPath } = await import('../../../src/platform/features.ts');
    expect(uploadBodyPath()).toBe('opfs-spool');
    const bytes = randomData(1000);
    const spooled = await spool(bytes);
    expect(spooled).not.toBeNull();
    expect(Buffer.from(await (spooled as { body: Blob }).body.arrayBuffer())).toEqual(Buffer.from(bytes));
    await spooled?.release();
    expect(opfs.calls).toContain('getDirectory');
    expect([...opfs.files.keys()].filter((name) => !name.endsWith('probe'))).toEqual([]);
  });
});

/** A minimal OPFS on `navigator.storage`, with or without sync access handles, for this test. */
function fakeOpfs({ syncHandles }: { syncHandles: boolean }) {
  const calls: string[] = [];
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  class FakeFileHandle {
    constructor(readonly name: string) {}
    async getFile() {
      return new File([files.get(this.name) ?? new Uint8Array(0)], this.name);
    }
  }
  if (syncHandles)
    Object.defineProperty(FakeFileHandle.prototype, 'createSyncAccessHandle', {
      value(this: FakeFileHandle) {
        const name = this.name;
        return Promise.resolve({
          truncate: (size: number) => files.set(name, new Uint8Array(size)),
          write: (buffer: Uint8Array) => {
            files.set(name, Uint8Array.from(buffer));
            return buffer.byteLength;
          },
          flush: () => undefined,
          close: () => undefined,
        });
      },
    });
  const directory = {
    getFileHandle: async (name: string) => {
      if (!files.has(name)) files.set(name, new Uint8Array(0));
      return new FakeFileHandle(name);
    },
    removeEntry: async (name: string) => void files.delete(name),
  };
  putting(globalThis, 'FileSystemFileHandle', FakeFileHandle);
  putting(globalThis, 'navigator', {
    storage: {
      getDirectory: async () => {
        calls.push('getDirectory');
        return directory;
      },
    },
  });
  return { calls, files };
}

describe('no service workers (private windows, older browsers)', () => {
  it('keeps files up to the stated limit in a Blob, and above it says which browsers work and offers the CLI', async () => {
    const { BlobSink } = await import('../../../src/download/sinks.ts');
    const { MAX_BLOB_DOWNLOAD } = await import('../../../src/download/limits.ts');
    const { describeError } = await import('../../../src/ui/messages.ts');
    expect(BlobSink.open('small.bin', MAX_BLOB_DOWNLOAD)).toBeInstanceOf(BlobSink);
    let refused: unknown;
    try {
      BlobSink.open('large.bin', MAX_BLOB_DOWNLOAD + 1);
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({ code: 'NoStreamingSave' });
    const text = describeError(refused);
    expect(text).toContain('64.0 MiB');
    expect(text).toMatch(/Firefox, Chrome or Safari/);
    expect(text).toContain("npx cipherdrop download '<this link>'");
  });
});

describe('detected once per realm', () => {
  it('each feature reads false when its global is taken away, and the paths follow the README table', async () => {
    const { detectFeatures, downloadPath, uploadBodyPath, bodyReadPath, features } = await fresh<Features>('../../../src/platform/features.ts');
    const node = detectFeatures();
    // Node has byte streams, async-iterable streams and transferable streams, and no DOM.
    expect(node).toMatchObject({
      byobReader: true,
      asyncIterableStreams: true,
      transferableStreams: true,
      serviceWorker: false,
      savePicker: false,
      opfsSyncHandles: false,
    });
    expect(features()).toBe(features());
    without(globalThis, 'ReadableStreamBYOBReader');
    without(ReadableStream.prototype, Symbol.asyncIterator);
    expect(features().byobReader).toBe(true); // cached: detected once
    const gone = detectFeatures();
    expect(gone).toMatchObject({ byobReader: false, asyncIterableStreams: false });
    expect(bodyReadPath(gone)).toBe('array-buffer');
    expect(uploadBodyPath(gone)).toBe('memory');
    const browser = { ...gone, serviceWorker: true, savePicker: true };
    expect(downloadPath(browser, false)).toBe('save-picker');
    expect(downloadPath(browser, true)).toBe('service-worker-stream'); // under WebDriver nobody answers a picker
    expect(downloadPath({ ...browser, savePicker: false }, false)).toBe('service-worker-stream');
    expect(downloadPath({ ...browser, savePicker: false, serviceWorker: false }, false)).toBe('blob');
  });

  it('no transferable streams (WebKitGTK 2.50): structuredClone refusing a stream reads false', async () => {
    const { detectFeatures } = await fresh<Features>('../../../src/platform/features.ts');
    const clone = globalThis.structuredClone;
    putting(globalThis, 'structuredClone', (value: unknown, options?: StructuredSerializeOptions) => {
      if (options?.transfer?.some((t) => t instanceof ReadableStream)) throw new DOMException('not transferable', 'DataCloneError');
      return clone(value, options);
    });
    expect(detectFeatures().transferableStreams).toBe(false);
  });
});

describe('no save picker (Firefox, Safari) and no service worker: the download engine', () => {
  it('without showSaveFilePicker nothing is picked (the service-worker stream is used)', async () => {
    putting(globalThis, 'navigator', { serviceWorker: {}, webdriver: false });
    const { FileSystemSink } = await fresh<Sinks>('../../../src/download/sinks.ts');
    const { downloadPath } = await import('../../../src/platform/features.ts');
    expect(downloadPath()).toBe('service-worker-stream');
    expect(await FileSystemSink.pick('a.bin')).toBeNull();
  });

  it('with showSaveFilePicker, outside automation, the picker is asked (unchanged)', async () => {
    putting(globalThis, 'navigator', { serviceWorker: {}, webdriver: false });
    const asked: string[] = [];
    putting(globalThis, 'showSaveFilePicker', async ({ suggestedName }: { suggestedName: string }) => {
      asked.push(suggestedName);
      return { createWritable: async () => ({ write: async () => undefined, close: async () => undefined, abort: async () => undefined }) };
    });
    const { FileSystemSink } = await fresh<Sinks>('../../../src/download/sinks.ts');
    const picked = await FileSystemSink.pick('a.bin');
    expect(picked).toBeInstanceOf(FileSystemSink);
    // Its writable copies each chunk (save.spec checks it in Chromium): the download may reuse a written chunk's memory.
    expect(picked?.releasesChunks).toBe(true);
    expect(asked).toEqual(['a.bin']);
  });

  it('without service workers, no registration is tried and a download goes to a Blob', async () => {
    putting(globalThis, 'navigator', { webdriver: false });
    vi.resetModules();
    const { browserDownloadEngine } = await import('../../../src/ui/download-engine.ts');
    const { BlobSink, serviceWorker } = await import('../../../src/download/sinks.ts');
    expect(await serviceWorker()).toBeNull();
    const engine = browserDownloadEngine({} as Parameters<typeof browserDownloadEngine>[0]);
    const sink = await engine.openDownloadSink('small.bin', 1000, () => undefined);
    expect(sink).toBeInstanceOf(BlobSink);
    // A Blob keeps every chunk it is given: none may be reused.
    expect(sink.releasesChunks).toBeFalsy();
  });
});
