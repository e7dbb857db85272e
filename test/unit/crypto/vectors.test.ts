/** Known answers: messages written by @aws-crypto/client-node (test/vectors, made by scripts/make-vectors.ts). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importWrappingKey } from '../../../src/crypto/cipher.ts';
import { parseCompleteHeader } from '../../../src/crypto/format.ts';
import { aesKeyring } from '../../../src/crypto/keyring.ts';
import { decryptBytes } from '../../../src/crypto/message.ts';
import { keyNameOf, linkKey, parseKeyName } from '../../../src/crypto/password.ts';
import { blobSource, openRandomAccess } from '../../../src/crypto/random-access.ts';
import { blobContext, CONTEXT_BLOB, CONTEXT_SET, checkBlob, memberRange, openManifest } from '../../../src/crypto/set-manifest.ts';
import { isAesVector, type Vector } from '../../support/vectors.ts';

const vectors = (JSON.parse(readFileSync('test/vectors/vectors.json', 'utf8')) as Vector[]).filter(isAesVector);
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64url'));

describe('known-answer vectors from client-node', () => {
  it('has vectors', () => expect(vectors.length).toBeGreaterThanOrEqual(6));

  for (const v of vectors) {
    it(`decrypts: ${v.description}`, async () => {
      const message = bytes(v.ciphertext);
      const header = parseCompleteHeader(message);
      expect(header.frameLength).toBe(v.frameLength);
      expect(keyNameOf(header)).toBe(v.keyName);
      const key = aesKeyring(await importWrappingKey(bytes(v.wrappingKey)), v.keyName);
      const plain = await decryptBytes(key, message, { context: v.context });
      expect(Buffer.from(plain).toString('base64url')).toBe(v.plaintext);
    });

    if (v.password && v.secret) {
      it(`derives the same wrapping key from secret and password: ${v.description}`, async () => {
        const message = bytes(v.ciphertext);
        const params = parseKeyName(keyNameOf(parseCompleteHeader(message)));
        const keyring = await linkKey(bytes(v.secret as string), v.password, params);
        const plain = await decryptBytes(keyring, message, { context: v.context });
        expect(Buffer.from(plain).toString('base64url')).toBe(v.plaintext);
      });
    }
  }

  it('opens a set from client-node: the manifest names the blob, whose ranges are the files', async () => {
    const manifestVector = vectors.find((v) => v.set === 'manifest');
    const blobVector = vectors.find((v) => v.set === 'blob');
    if (!manifestVector || !blobVector) throw new Error('no set vectors');
    const setId = manifestVector.context[CONTEXT_SET];
    const key = aesKeyring(await importWrappingKey(bytes(manifestVector.wrappingKey)));
    const manifest = await openManifest(key, setId, bytes(manifestVector.ciphertext));
    expect(manifest.entries.map((e) => e.path)).toEqual(['notes/hello.txt', 'photos/2026/ünïcode 😀.jpg', 'empty folder/']);
    const blobId = manifest.blobs[0].id;
    expect(blobVector.context[CONTEXT_BLOB]).toBe(blobId);
    const ciphertext = bytes(blobVector.ciphertext);
    const blob = await openRandomAccess(blobSource(new Blob([ciphertext])), key, blobContext(setId, blobId));
    checkBlob(manifest, 0, blob.message.header, ciphertext.byteLength);
    const plain = bytes(blobVector.plaintext);
    for (const i of [0, 1]) {
      const { start, end } = memberRange(manifest, i);
      expect(await blob.read(start, end)).toEqual(plain.subarray(start, end));
    }
    expect(new TextDecoder().decode(await blob.read(0, 12))).toBe('Hello, set!\n');
  });
});
