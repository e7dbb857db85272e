import { describe, expect, it } from 'vitest';
import { MEDIA_PIECE, PieceCache } from '../../../src/download/media.ts';

function counting(size: number) {
  const reads: [number, number][] = [];
  const plaintext = new Uint8Array(size).map((_, i) => i % 251);
  return {
    reads,
    message: {
      plaintextSize: size,
      read: async (start: number, end: number) => {
        reads.push([start, end]);
        return plaintext.slice(start, end);
      },
    },
    plaintext,
  };
}

describe('PieceCache', () => {
  it('reads whole aligned pieces once and serves sub-ranges from them', async () => {
    const source = counting(3 * MEDIA_PIECE + 10);
    const cache = new PieceCache(source.message);
    expect(await cache.read(MEDIA_PIECE + 5, MEDIA_PIECE + 9)).toEqual(source.plaintext.slice(MEDIA_PIECE + 5, MEDIA_PIECE + 9));
    expect(await cache.read(MEDIA_PIECE, 2 * MEDIA_PIECE)).toEqual(source.plaintext.slice(MEDIA_PIECE, 2 * MEDIA_PIECE));
    expect(await cache.read(3 * MEDIA_PIECE, 3 * MEDIA_PIECE + 10)).toEqual(source.plaintext.slice(3 * MEDIA_PIECE));
    expect(source.reads).toEqual([
      [MEDIA_PIECE, 2 * MEDIA_PIECE],
      [3 * MEDIA_PIECE, 3 * MEDIA_PIECE + 10],
    ]);
  });

  it('shares one fetch between concurrent readers and evicts the least recently used', async () => {
    const source = counting(10 * MEDIA_PIECE);
    const cache = new PieceCache(source.message, 2);
    await Promise.all([cache.read(0, 1), cache.read(2, 3)]);
    await cache.read(MEDIA_PIECE, MEDIA_PIECE + 1);
    await cache.read(0, 1); // 0 is now most recent; 1 is least
    await cache.read(2 * MEDIA_PIECE, 2 * MEDIA_PIECE + 1); // evicts piece 1
    await cache.read(0, 1);
    await cache.read(MEDIA_PIECE, MEDIA_PIECE + 1);
    expect(source.reads.map(([start]) => start / MEDIA_PIECE)).toEqual([0, 1, 2, 1]);
  });

  it('forgets a failed read, so a retry fetches again', async () => {
    let fail = true;
    const cache = new PieceCache({
      plaintextSize: MEDIA_PIECE,
      read: async () => {
        if (fail) throw new Error('network');
        return new Uint8Array(MEDIA_PIECE);
      },
    });
    await expect(cache.read(0, 1)).rejects.toThrow('network');
    fail = false;
    expect((await cache.read(0, 1)).byteLength).toBe(1);
  });

  it('refuses a read that spans two pieces', async () => {
    await expect(new PieceCache(counting(2 * MEDIA_PIECE).message).read(MEDIA_PIECE - 1, MEDIA_PIECE + 1)).rejects.toThrow(RangeError);
  });
});
