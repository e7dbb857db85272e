/**
 * What the page does where an engine lacks a feature Chromium has (issue 18). Each test takes the
 * feature away in Node, as WebKitGTK 2.50 / older Safari lack it, and runs the code that used it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { importWrappingKey } from '../../../src/crypto/cipher.ts';
import { aesKeyring } from '../../../src/crypto/keyring.ts';
import { decryptBytes, encryptBytes } from '../../../src/crypto/message.ts';
import { objectContext } from '../../../src/crypto/objects.ts';
import { randomData } from '../helpers.ts';

const restore: (() => void)[] = [];
afterEach(() => {
  for (const undo of restore.splice(0)) undo();
});

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
  it('reads a ranged body whole through the default reader path, and still refuses a short one', async () => {
    const { readExactly } = await import('../../../src/transfer/http.ts');
    without(globalThis, 'ReadableStreamBYOBReader');
    const body = randomData(300_000);
    // A body whose getReader({ mode: 'byob' }) throws, as in an engine without BYOB readers.
    const response = (bytes: Uint8Array<ArrayBuffer>) => {
      const r = new Response(bytes);
      const stream = r.body as ReadableStream<Uint8Array>;
      const getReader = stream.getReader.bind(stream);
      Object.defineProperty(stream, 'getReader', {
        value: (options?: { mode?: string }) => {
          if (options?.mode === 'byob') throw new TypeError('byob readers are not supported');
          return getReader();
        },
      });
      return r;
    };
    expect(Buffer.from(await readExactly(response(body), body.byteLength))).toEqual(Buffer.from(body));
    await expect(readExactly(response(body.subarray(0, 1000)), body.byteLength)).rejects.toMatchObject({ code: 'Network' });
  });
});

describe('no OPFS (WebKitGTK 2.50, private windows)', () => {
  it('spool() answers null, so the part is sent from memory, and housekeeping is quiet', async () => {
    const { clearStaleSpool, spool } = await import('../../../src/transfer/spool.ts');
    // Node has no navigator.storage at all: the same as an engine without getDirectory.
    expect(typeof (globalThis.navigator as { storage?: unknown } | undefined)?.storage).toBe('undefined');
    expect(await spool(randomData(1000))).toBeNull();
    await expect(clearStaleSpool()).resolves.toBeUndefined();
  });
});

describe('no service workers (private windows, older browsers)', () => {
  it('keeps files up to the stated limit in a Blob, and above it says which browsers work and offers the CLI', async () => {
    const { BlobSink, MAX_BLOB_DOWNLOAD } = await import('../../../src/download/sinks.ts');
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
