/**
 * The raw RSA keyring of file requests against @aws-crypto/client-node's RawRsaKeyringNode
 * (RSA-OAEP-SHA256), both ways, and its known-answer vectors (scripts/make-vectors.ts).
 */
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RawRsaKeyringNode } from '@aws-crypto/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { importWrappingKey } from '../../../src/crypto/cipher.ts';
import { ContextMismatchError, WrongKeyError } from '../../../src/crypto/errors.ts';
import { KEY_NAMESPACE, parseCompleteHeader, REQUEST_KEY_NAME, sealedHeaderLength } from '../../../src/crypto/format.ts';
import { aesKeyring, type Keyring, rsaKeyring } from '../../../src/crypto/keyring.ts';
import { createMessage, decryptBytes, decryptStream, encryptBytes } from '../../../src/crypto/message.ts';
import { requestObjectContext } from '../../../src/crypto/request-keys.ts';
import { isRsaVector, type Vector } from '../../support/vectors.ts';
import { aws, COMMIT_SUITE, chunked, randomData, readAll } from '../helpers.ts';

const vectors = (JSON.parse(readFileSync('test/vectors/vectors.json', 'utf8')) as Vector[]).filter(isRsaVector);
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64url'));
const OAEP = { name: 'RSA-OAEP', hash: 'SHA-256' };
const F = 4096;
const context = requestObjectContext('RsaRsaRsaRsaRsaRsaRsaR', 'data', 'RequestRequestRequestR');

// One fixed key pair (the vectors'), in both worlds; a second, fresh one only to be the wrong key.
const spki = bytes(vectors[0].publicKey);
const pkcs8 = bytes(vectors[0].privateKey);
const publicKey = await crypto.subtle.importKey('spki', spki, OAEP, true, ['encrypt']);
const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, OAEP, false, ['decrypt']);
const nodeKeys = {
  publicKey: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }) as string,
  privateKey: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string,
};
const writer = rsaKeyring({ publicKey });
const reader = rsaKeyring({ privateKey });

/** client-node's keyring, given PEM keys (what its types take) */
function theirs(keys: { publicKey?: string; privateKey?: string }, keyName = REQUEST_KEY_NAME): RawRsaKeyringNode {
  return new RawRsaKeyringNode({ keyNamespace: KEY_NAMESPACE, keyName, rsaKey: keys, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' });
}

describe('raw RSA keyring', () => {
  it('has vectors from both writers', () => {
    expect(vectors.map((v) => v.writer).sort()).toEqual(['cipherdrop', 'client-node']);
  });

  it('writes one EDK: provider cipherdrop, info "request-v1" only, 512 bytes; the header size is known in advance', async () => {
    const message = await createMessage(writer, context, F);
    const header = parseCompleteHeader(message.header);
    expect(header.encryptedDataKeys).toHaveLength(1);
    const [edk] = header.encryptedDataKeys;
    expect(edk.providerId).toBe('cipherdrop');
    expect(Buffer.from(edk.providerInfo).toString('utf8')).toBe('request-v1');
    expect(edk.encryptedDataKey.byteLength).toBe(512);
    expect(writer.edkShape).toEqual({ providerId: 'cipherdrop', providerInfoLength: 10, encryptedKeyLength: 512 });
    expect(sealedHeaderLength(context, writer)).toBe(message.header.byteLength);
    expect(sealedHeaderLength(context, reader)).toBe(message.header.byteLength);
  });

  for (const size of [0, 1, F - 1, F, F + 1, 3 * F + 17]) {
    it(`what we write, client-node opens (${size} bytes)`, async () => {
      const plain = randomData(size);
      const message = await encryptBytes(writer, plain, { context, frameLength: F });
      const { plaintext, messageHeader } = await aws.decrypt(theirs({ privateKey: nodeKeys.privateKey }), message);
      expect(Buffer.compare(plaintext, plain)).toBe(0);
      expect(messageHeader.encryptionContext).toEqual(context);
    });

    it(`what client-node writes, we open (${size} bytes)`, async () => {
      const plain = randomData(size);
      const { result } = await aws.encrypt(theirs({ publicKey: nodeKeys.publicKey }), plain, {
        encryptionContext: context,
        frameLength: F,
        suiteId: COMMIT_SUITE,
      });
      const opened = await readAll(chunked(result, 777).pipeThrough(decryptStream(reader, { context })));
      expect(Buffer.compare(opened, plain)).toBe(0);
    });
  }

  it('round-trips at our 512 KiB frame length with a public-key-only writer and a private-key-only reader', async () => {
    const plain = randomData(600 * 1024);
    const message = await encryptBytes(writer, plain, { context });
    expect(Buffer.compare(await decryptBytes(reader, message, { context }), plain)).toBe(0);
  });

  for (const v of vectors) {
    it(`known answer, both decoders: ${v.description}`, async () => {
      const message = bytes(v.ciphertext);
      const plain = await decryptBytes(rsaKeyring({ privateKey }, v.keyName), message, { context: v.context });
      expect(Buffer.from(plain).toString('base64url')).toBe(v.plaintext);
      const theirsOpened = await aws.decrypt(theirs({ privateKey: nodeKeys.privateKey }, v.keyName), message);
      expect(Buffer.from(theirsOpened.plaintext).toString('base64url')).toBe(v.plaintext);
      expect(parseCompleteHeader(message).frameLength).toBe(v.frameLength);
    });
  }

  describe('refuses', () => {
    let other: Keyring;
    let message: Uint8Array;
    beforeAll(async () => {
      const fresh = generateKeyPairSync('rsa', { modulusLength: 4096, publicExponent: 65537 });
      const otherKey = await crypto.subtle.importKey('pkcs8', fresh.privateKey.export({ type: 'pkcs8', format: 'der' }), OAEP, false, ['decrypt']);
      other = rsaKeyring({ privateKey: otherKey });
      message = await encryptBytes(writer, randomData(5000), { context, frameLength: F });
    });
    const edkOf = (m: Uint8Array) => parseCompleteHeader(m).encryptedDataKeys[0];
    const at = (m: Uint8Array, part: Uint8Array) => Buffer.from(m).indexOf(Buffer.from(part));

    it('another private key: WrongKey', async () => {
      await expect(decryptBytes(other, message, { context })).rejects.toBeInstanceOf(WrongKeyError);
    });

    it('an altered encrypted data key: WrongKey', async () => {
      const bad = Uint8Array.from(message);
      bad[at(message, edkOf(message).encryptedDataKey) + 100] ^= 1;
      await expect(decryptBytes(reader, bad, { context })).rejects.toBeInstanceOf(WrongKeyError);
    });

    it('another key name: WrongKey (ours does not even try it)', async () => {
      const bad = Uint8Array.from(message);
      bad[at(message, Buffer.from('request-v1')) + 9] = '2'.charCodeAt(0);
      await expect(decryptBytes(reader, bad, { context })).rejects.toBeInstanceOf(WrongKeyError);
      await expect(decryptBytes(rsaKeyring({ privateKey }, 'request-v2'), message, { context })).rejects.toBeInstanceOf(WrongKeyError);
    });

    it("a link's AES keyring on a request's message, and the reverse: WrongKey", async () => {
      const link = aesKeyring(await importWrappingKey(randomData(32)));
      await expect(decryptBytes(link, message, { context })).rejects.toBeInstanceOf(WrongKeyError);
      const linkMessage = await encryptBytes(link, randomData(10), { context });
      await expect(decryptBytes(reader, linkMessage, { context })).rejects.toBeInstanceOf(WrongKeyError);
    });

    it('another request or file in the context: ContextMismatch', async () => {
      const elsewhere = requestObjectContext('RsaRsaRsaRsaRsaRsaRsaR', 'data', 'OtherOtherOtherOtherOt');
      await expect(decryptBytes(reader, message, { context: elsewhere })).rejects.toBeInstanceOf(ContextMismatchError);
      await expect(
        decryptBytes(reader, message, { context: requestObjectContext('RsaRsaRsaRsaRsaRsaRsaR', 'meta', 'RequestRequestRequestR') }),
      ).rejects.toBeInstanceOf(ContextMismatchError);
    });

    it('a sender cannot read back (public key only), a reader cannot write (private key only)', async () => {
      await expect(decryptBytes(writer, message, { context })).rejects.toBeInstanceOf(TypeError);
      await expect(encryptBytes(reader, randomData(1), { context })).rejects.toBeInstanceOf(TypeError);
    });

    it('keys of another kind', async () => {
      const aes = await importWrappingKey(randomData(32));
      expect(() => rsaKeyring({ publicKey: aes })).toThrow(TypeError);
      expect(() => rsaKeyring({})).toThrow(TypeError);
    });
  });
});
