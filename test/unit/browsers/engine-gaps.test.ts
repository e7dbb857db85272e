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
