import { describe, expect, it } from 'vitest';
import { importWrappingKey } from '../../../src/crypto/cipher.ts';
import { CorruptedError, TruncatedError } from '../../../src/crypto/errors.ts';
import { parseCompleteHeader, regularFrameSize } from '../../../src/crypto/format.ts';
import { aesKeyring } from '../../../src/crypto/keyring.ts';
import { encryptStream } from '../../../src/crypto/message.ts';
import { objectContext } from '../../../src/crypto/objects.ts';
import { blobSource, decryptRange, openRandomAccess, type RandomAccessSource } from '../../../src/crypto/random-access.ts';
import { chunked, randomData, readAll } from '../helpers.ts';

const F = 64;
const context = objectContext('RandomRandomRandomRand', 'data');
const key = aesKeyring(await importWrappingKey(randomData(32)));

async function message(size: number) {
  const plain = randomData(size);
  return { plain, bytes: await readAll(chunked(plain, 1000).pipeThrough(encryptStream(key, { context, frameLength: F }))) };
}

/** Counts the bytes read, to prove only the covering frames are fetched. */
function counting(bytes: Uint8Array): RandomAccessSource & { bytesRead: number } {
  const source = {
    size: bytes.byteLength,
    bytesRead: 0,
    read: async (start: number, end: number) => {
      source.bytesRead += end - start;
      return bytes.slice(start, end);
    },
  };
  return source;
}

describe('random access', () => {
  it('returns exactly the requested plaintext for ranges at every frame edge', async () => {
    for (const size of [0, 1, F - 1, F, F + 1, 5 * F, 5 * F + 9]) {
      const { plain, bytes } = await message(size);
      const opened = await openRandomAccess(blobSource(new Blob([bytes])), key, context);
      expect(opened.plaintextSize).toBe(size);
      for (const [s, e] of [
        [0, size],
        [0, 1],
        [F - 1, F + 1],
        [F, 2 * F],
        [size - 1, size],
        [3, size + 100],
        [size, size],
      ]) {
        expect(Buffer.compare(await opened.read(s, e), plain.subarray(Math.max(0, s), Math.min(e, size))), `${size}: ${s}-${e}`).toBe(0);
      }
    }
  });

  it('reads only the covering frames (plus header and final frame once)', async () => {
    const { plain, bytes } = await message(100 * F + 5);
    const source = counting(bytes);
    const opened = await openRandomAccess(source, key, context);
    const afterOpen = source.bytesRead;
    const got = await opened.read(50 * F + 3, 52 * F - 1);
    expect(Buffer.compare(got, plain.subarray(50 * F + 3, 52 * F - 1))).toBe(0);
    expect(source.bytesRead - afterOpen).toBe(2 * regularFrameSize(F));
  });

  it('refuses a damaged frame inside the range, and a truncated message at open', async () => {
    const { bytes } = await message(10 * F);
    const header = parseCompleteHeader(bytes);
    const bad = Uint8Array.from(bytes);
    bad[header.length + 4 * regularFrameSize(F) + 30] ^= 1;
    const opened = await openRandomAccess(blobSource(new Blob([bad])), key, context);
    expect(Buffer.from(await opened.read(0, 4 * F)).byteLength).toBe(4 * F);
    await expect(opened.read(4 * F, 5 * F)).rejects.toMatchObject({ site: { frame: 5, field: 'tag' } });
    await expect(decryptRange(blobSource(new Blob([bytes.slice(0, bytes.byteLength - 3)])), key, context, 0, 1)).rejects.toBeInstanceOf(TruncatedError);
    const cutAtFrame = bytes.slice(0, header.length + 3 * regularFrameSize(F));
    await expect(decryptRange(blobSource(new Blob([cutAtFrame])), key, context, 0, 1)).rejects.toSatisfy(
      (e) => e instanceof TruncatedError || e instanceof CorruptedError,
    );
  });
});
