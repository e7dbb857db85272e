/**
 * The library's Node file path: encryptFile/decryptFile read in 1 MiB pieces (files.ts READ_CHUNK),
 * so sizes around that edge; and it runs on node:crypto, not WebCrypto (spied, not timed).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { importWrappingKey } from '../../../src/crypto/cipher.ts';
import { CorruptedError } from '../../../src/crypto/errors.ts';
import { type FrameCipher, nodeFrameCipher, webCryptoFrameCipher } from '../../../src/crypto/frame-cipher.ts';
import { aesKeyring } from '../../../src/crypto/keyring.ts';
import { objectContext } from '../../../src/crypto/objects.ts';
import { decryptFile, encryptFile } from '../../../src/node/files.ts';
import { randomData } from '../helpers.ts';

const MiB = 1024 * 1024;
const FRAME = 64 * 1024;
const context = objectContext('FileFileFileFileFileFi', 'data');
const keyring = aesKeyring(await importWrappingKey(randomData(32)));
const dir = mkdtempSync(path.join(tmpdir(), 'cd-files-'));
const at = (name: string) => path.join(dir, name);

afterEach(() => vi.restoreAllMocks());

describe('encryptFile and decryptFile', () => {
  for (const size of [0, 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 7]) {
    it(`round-trip ${size} bytes`, async () => {
      const plain = randomData(size);
      writeFileSync(at(`in-${size}`), plain);
      await encryptFile(at(`in-${size}`), at(`enc-${size}`), keyring, { context, frameLength: FRAME });
      await decryptFile(at(`enc-${size}`), at(`out-${size}`), keyring, { context });
      expect(Buffer.compare(readFileSync(at(`out-${size}`)), plain)).toBe(0);
    });
  }

  it('run on node:crypto in Node: every frame sealed and opened there, none on WebCrypto', async () => {
    const node = nodeFrameCipher as FrameCipher;
    const spies = [vi.spyOn(node, 'seal'), vi.spyOn(node, 'open'), vi.spyOn(webCryptoFrameCipher, 'seal'), vi.spyOn(webCryptoFrameCipher, 'open')];
    const size = 2 * MiB + 5;
    writeFileSync(at('spied'), randomData(size));
    await encryptFile(at('spied'), at('spied.enc'), keyring, { context, frameLength: FRAME });
    await decryptFile(at('spied.enc'), at('spied.out'), keyring, { context });
    const frames = Math.floor(size / FRAME) + 1;
    expect(spies.map((s) => s.mock.calls.length)).toEqual([frames, frames, 0, 0]);
  });

  it('a tampered file is refused naming the frame, and leaves nothing behind', async () => {
    writeFileSync(at('t'), randomData(3 * MiB));
    await encryptFile(at('t'), at('t.enc'), keyring, { context, frameLength: FRAME });
    const bad = readFileSync(at('t.enc'));
    const frame = 20;
    // inside frame 20's ciphertext: the header, 19 whole frames (seq, IV, body, tag), then its seq and IV
    const headerLength = bad.byteLength - (48 * (FRAME + 32) + 40);
    bad[headerLength + (frame - 1) * (FRAME + 32) + 16 + 100] ^= 1;
    writeFileSync(at('t.bad'), bad);
    const error = await decryptFile(at('t.bad'), at('t.out'), keyring, { context }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptedError);
    expect((error as CorruptedError).site).toEqual({ frame, field: 'tag' });
    expect(existsSync(at('t.out')) || existsSync(at('t.out.cipherdrop-partial'))).toBe(false);
  });

  it('a missing input rejects and leaves nothing behind', async () => {
    await expect(encryptFile(at('absent'), at('absent.enc'), keyring, { context })).rejects.toMatchObject({ code: 'ENOENT' });
    expect(existsSync(at('absent.enc')) || existsSync(at('absent.enc.cipherdrop-partial'))).toBe(false);
  });
});
