/**
 * The workers' part buffers (transfer/buffers.ts): the pool (reuse, what it keeps, what it drops),
 * and reading a file range into one: BYOB where the stream is a byte stream, copying elsewhere or
 * when a BYOB read stalls.
 */
import { describe, expect, it, vi } from 'vitest';
import { BufferPool, readBlobInto } from '../../../src/transfer/buffers.ts';

describe('BufferPool', () => {
  it('hands out a view of exactly the size asked, on the smallest pooled buffer that holds it', () => {
    const pool = new BufferPool();
    const big = pool.take(300);
    const small = pool.take(100);
    pool.give(big);
    pool.give(small);
    const view = pool.take(90);
    expect([view.byteLength, view.byteOffset, view.buffer]).toEqual([90, 0, small.buffer]);
    // A larger size than any pooled buffer holds is a new buffer; the big one still serves 200.
    expect(pool.take(400).buffer).not.toBe(big.buffer);
    expect(pool.take(200).buffer).toBe(big.buffer);
  });

  it('keeps at most two buffers, the largest, and each buffer once', () => {
    const pool = new BufferPool();
    const [a, b, c] = [pool.take(100), pool.take(200), pool.take(300)];
    pool.give(b);
    pool.give(b); // given twice: still one buffer, not two owners
    pool.give(a);
    pool.give(c);
    const taken = [pool.take(1), pool.take(1), pool.take(1)].map((v) => v.buffer);
    expect(taken.slice(0, 2)).toEqual([b.buffer, c.buffer]);
    expect([a.buffer, b.buffer, c.buffer]).not.toContain(taken[2]);
  });

  it('gives a spare buffer that holds the size, or nothing: it never allocates', () => {
    const pool = new BufferPool();
    expect(pool.spare(10)).toBeUndefined();
    const given = pool.take(100);
    pool.give(given);
    expect(pool.spare(101)).toBeUndefined();
    expect(pool.spare(50)).toBe(given.buffer);
    expect(pool.spare(50)).toBeUndefined();
  });

  it('drops a buffer that was transferred away', () => {
    const pool = new BufferPool();
    const view = pool.take(64);
    structuredClone(view.buffer, { transfer: [view.buffer] });
    pool.give(view);
    expect(pool.take(64).buffer.byteLength).toBe(64);
  });
});

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255);

/**
 * A Blob-like whose stream is a byte stream giving `data` in pieces of at most `piece` bytes; with
 * `stallAfter`, the first stream stops answering once it has given that many bytes (as Chromium
 * 156's BYOB reads of a picked file sometimes do), and later streams give everything.
 */
function byteBlob(data: Uint8Array, piece: number, stallAfter = Number.POSITIVE_INFINITY): Blob & { streams: number } {
  const blob = {
    streams: 0,
    stream: () => {
      const limit = blob.streams++ === 0 ? stallAfter : Number.POSITIVE_INFINITY;
      let at = 0;
      return new ReadableStream({
        type: 'bytes',
        pull(controller) {
          const request = controller.byobRequest;
          if (at >= limit) return new Promise<void>(() => undefined); // never answers
          if (at >= data.byteLength) {
            controller.close();
            request?.respond(0);
            return;
          }
          if (!request?.view) {
            // A default reader's read (the copying path): a chunk of its own.
            controller.enqueue(data.slice(at, at + piece));
            at = Math.min(data.byteLength, at + piece);
            return;
          }
          const view = new Uint8Array(request.view.buffer, request.view.byteOffset, request.view.byteLength);
          const n = Math.min(piece, view.byteLength, data.byteLength - at);
          view.set(data.subarray(at, at + n));
          at += n;
          request.respond(n);
        },
      });
    },
  };
  return blob as unknown as Blob & { streams: number }; // only stream() is used
}

/** A Blob-like whose stream is a default (not byte) stream, as WebKit's. */
function defaultBlob(data: Uint8Array): Blob {
  return {
    stream: () => {
      let at = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= data.byteLength) return controller.close();
          controller.enqueue(data.slice(at, at + 3000));
          at += 3000;
        },
      });
    },
  } as unknown as Blob; // only stream() is used
}

describe('readBlobInto', () => {
  it('fills the given memory through a BYOB reader, in the same backing store (no fresh buffer)', async () => {
    const data = bytes(100_000);
    const out = new Uint8Array(new ArrayBuffer(100_000));
    const original = out.buffer;
    const read = await readBlobInto(byteBlob(data, 7_777), out);
    expect(read).toEqual(data);
    // Transferred, not copied: the old ArrayBuffer is detached and the result is the same size.
    expect(original.byteLength).toBe(0);
    expect(read.buffer.byteLength).toBe(100_000);
  });

  it('fills a view of part of a larger pooled buffer, and leaves the rest alone', async () => {
    const pool = new BufferPool();
    pool.give(pool.take(200_000));
    const out = pool.take(100_000);
    const read = await readBlobInto(byteBlob(bytes(100_000), 9_000), out);
    expect([read.byteOffset, read.byteLength, read.buffer.byteLength]).toEqual([0, 100_000, 200_000]);
    expect(read).toEqual(bytes(100_000));
  });

  it('reads an empty range (an empty file) into an empty buffer, and still refuses one that grew', async () => {
    const read = await readBlobInto(byteBlob(bytes(0), 4), new Uint8Array(new ArrayBuffer(0)));
    expect(read.byteLength).toBe(0);
    await expect(readBlobInto(byteBlob(bytes(3), 4), new Uint8Array(new ArrayBuffer(0)))).rejects.toThrow(/grew/);
  });

  it('copies chunk by chunk where the stream is not a byte stream (WebKit)', async () => {
    const data = bytes(50_000);
    const out = new Uint8Array(new ArrayBuffer(50_000));
    const read = await readBlobInto(defaultBlob(data), out);
    expect(read).toBe(out);
    expect(read).toEqual(data);
  });

  it('reads the range again by copying when a BYOB read stalls, mid-range or at its end, and says so in the console', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    for (const stallAfter of [30_000, 100_000]) {
      const blob = byteBlob(bytes(100_000), 10_000, stallAfter);
      const read = await readBlobInto(blob, new Uint8Array(100_000), 50);
      expect(read).toEqual(bytes(100_000));
      expect(blob.streams).toBe(2);
    }
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
  });

  it('refuses a file that grew or shrank while it was read, either way', async () => {
    await expect(readBlobInto(byteBlob(bytes(10), 4), new Uint8Array(new ArrayBuffer(9)))).rejects.toThrow(/grew/);
    await expect(readBlobInto(byteBlob(bytes(8), 4), new Uint8Array(new ArrayBuffer(9)))).rejects.toThrow(/shrank/);
    await expect(readBlobInto(defaultBlob(bytes(10)), new Uint8Array(new ArrayBuffer(9)))).rejects.toThrow(/grew/);
    await expect(readBlobInto(defaultBlob(bytes(8)), new Uint8Array(new ArrayBuffer(9)))).rejects.toThrow(/shrank/);
  });
});
