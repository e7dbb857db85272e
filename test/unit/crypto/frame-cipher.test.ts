/**
 * The two frame engines (frame-cipher.ts): WebCrypto and node:crypto write the same bytes for the
 * same keys and IVs, open each other's frames, refuse the same tampering with the same typed error,
 * and in Node the node:crypto one is the one used.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deriveContentKeys, importWrappingKey } from '../../../src/crypto/cipher.ts';
import { CorruptedError } from '../../../src/crypto/errors.ts';
import { type FrameCipher, frameCipher, nodeFrameCipher, setFrameCipher, webCryptoFrameCipher } from '../../../src/crypto/frame-cipher.ts';
import { type FrameKeys, openRun, sealRun } from '../../../src/crypto/frames.ts';
import { aesKeyring } from '../../../src/crypto/keyring.ts';
import { decryptBytes } from '../../../src/crypto/message.ts';
import type { Vector } from '../../support/vectors.ts';
import { randomData } from '../helpers.ts';

const node = nodeFrameCipher as FrameCipher;
const engines = [webCryptoFrameCipher, node];
const tiny = 64;
const header = randomData(249);

async function frameKeys(frameLength: number): Promise<FrameKeys> {
  const messageId = randomData(32);
  const { contentKey } = await deriveContentKeys(randomData(32), messageId);
  return { contentKey, messageId, frameLength };
}

/** Seals with each engine in turn, checking that each one really did the work. */
async function sealWithBoth(...args: Parameters<typeof sealRun>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const engine of engines) {
    const seal = vi.spyOn(engine, 'seal');
    out.push(await sealWith(engine, ...args));
    expect(seal).toHaveBeenCalled();
    seal.mockRestore();
  }
  return out;
}

async function sealWith(engine: FrameCipher, ...args: Parameters<typeof sealRun>): Promise<Uint8Array> {
  setFrameCipher(engine);
  return sealRun(...args);
}

async function openWith(engine: FrameCipher, ...args: Parameters<typeof openRun>): Promise<Uint8Array> {
  setFrameCipher(engine);
  return openRun(...args);
}

afterEach(() => {
  setFrameCipher(node);
  vi.restoreAllMocks();
});

describe('frame engines', () => {
  it('Node has the node:crypto engine, and it is the default', () => {
    expect(node?.name).toBe('node');
    expect(frameCipher()).toBe(node);
  });

  // size-1, size, size+1 and empty, with a tiny frame so short inputs span many frames.
  for (const size of [0, 1, tiny - 1, tiny, tiny + 1, 5 * tiny + 3, 300_000]) {
    it(`seal the same bytes and open each other's: ${size} bytes`, async () => {
      const keys = await frameKeys(tiny);
      const plain = randomData(size);
      const [web, fast] = await sealWithBoth(keys, plain, 3, true, header);
      expect(Buffer.compare(web, fast)).toBe(0);
      const body = web.subarray(header.byteLength);
      expect(Buffer.compare(await openWith(node, keys, body, 3, true, size), plain)).toBe(0);
      expect(Buffer.compare(await openWith(webCryptoFrameCipher, keys, body, 3, true, size), plain)).toBe(0);
    });
  }

  it('seal the same bytes for a run that does not end the message, at the default frame length', async () => {
    const keys = await frameKeys(512 * 1024);
    const plain = randomData(4 * 512 * 1024);
    const [web, fast] = await sealWithBoth(keys, plain, 17, false);
    expect(Buffer.compare(web, fast)).toBe(0);
  });

  for (const engine of engines) {
    it(`${engine.name}: a flipped bit in any frame's ciphertext or tag is Corrupted, naming that frame`, async () => {
      const keys = await frameKeys(tiny);
      const plain = randomData(4 * tiny + 5);
      const sealed = await sealWith(engine, keys, plain, 1, true);
      const regular = 4 + 12 + tiny + 16;
      // frame 3: a ciphertext byte, then its tag's last byte; frame 5 (final): its tag
      for (const [at, frame] of [
        [2 * regular + 20, 3],
        [3 * regular - 1, 3],
        [sealed.byteLength - 1, 5],
      ]) {
        const bad = Uint8Array.from(sealed);
        bad[at] ^= 0x10;
        const error = await openWith(engine, keys, bad, 1, true, plain.byteLength).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CorruptedError);
        expect((error as CorruptedError).site).toEqual({ frame, field: 'tag' });
      }
    });

    it(`${engine.name}: a key of another message does not open, and a key without the usage is refused`, async () => {
      const keys = await frameKeys(tiny);
      const sealed = await sealWith(engine, keys, randomData(10), 1, true);
      const other = { ...keys, contentKey: (await frameKeys(tiny)).contentKey };
      await expect(openWith(engine, other, sealed, 1, true, 10)).rejects.toBeInstanceOf(CorruptedError);
      const encryptOnly = await crypto.subtle.importKey('raw', randomData(32), 'AES-GCM', false, ['encrypt']);
      const error = await openWith(engine, { ...keys, contentKey: encryptOnly }, sealed, 1, true, 10).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DOMException);
      expect((error as DOMException).name).toBe('InvalidAccessError');
    });
  }
});

describe('known-answer vectors on the node:crypto path', () => {
  const vectors = JSON.parse(readFileSync('test/vectors/vectors.json', 'utf8')) as Vector[];
  const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64url'));

  // The raw AES keyring's vectors: the frames are the same whatever keyring wrapped the data key.
  for (const v of vectors) {
    if (!('wrappingKey' in v)) continue;
    it(`decrypts: ${v.description}`, async () => {
      const open = vi.spyOn(node, 'open');
      const web = vi.spyOn(webCryptoFrameCipher, 'open');
      const keyring = aesKeyring(await importWrappingKey(bytes(v.wrappingKey)), v.keyName);
      const plain = await decryptBytes(keyring, bytes(v.ciphertext), { context: v.context });
      expect(Buffer.from(plain).toString('base64url')).toBe(v.plaintext);
      expect(open).toHaveBeenCalledTimes(Math.floor(plain.byteLength / v.frameLength) + 1);
      expect(web).not.toHaveBeenCalled();
    });
  }
});
