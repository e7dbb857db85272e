/** Reading a file range into reused memory: BYOB where the stream is a byte stream, copying elsewhere. */
import { describe, expect, it } from 'vitest';
import { readBlobInto } from '../../../src/transfer/buffers.ts';

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255);

/** A Blob-like whose stream is a byte stream giving `data` in pieces of at most `piece` bytes. */
function byteBlob(data: Uint8Array, piece: number): Blob {
  return {
    stream: () => {
      let at = 0;
      return new ReadableStream({
        type: 'bytes',
        pull(controller) {
          const request = controller.byobRequest;
          if (at >= data.byteLength) {
            controller.close();
            request?.respond(0);
            return;
          }
          if (!request?.view) throw new Error('expected a BYOB read');
          const view = new Uint8Array(request.view.buffer, request.view.byteOffset, request.view.byteLength);
          const n = Math.min(piece, view.byteLength, data.byteLength - at);
          view.set(data.subarray(at, at + n));
          at += n;
          request.respond(n);
        },
      });
    },
  } as unknown as Blob; // only stream() is used
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

  it('copies chunk by chunk where the stream is not a byte stream (WebKit)', async () => {
    const data = bytes(50_000);
    const out = new Uint8Array(new ArrayBuffer(50_000));
    const read = await readBlobInto(defaultBlob(data), out);
    expect(read).toBe(out);
    expect(read).toEqual(data);
  });

  it('refuses a file that grew or shrank while it was read, either way', async () => {
    await expect(readBlobInto(byteBlob(bytes(10), 4), new Uint8Array(new ArrayBuffer(9)))).rejects.toThrow(/grew/);
    await expect(readBlobInto(byteBlob(bytes(8), 4), new Uint8Array(new ArrayBuffer(9)))).rejects.toThrow(/shrank/);
    await expect(readBlobInto(defaultBlob(bytes(10)), new Uint8Array(new ArrayBuffer(9)))).rejects.toThrow(/grew/);
    await expect(readBlobInto(defaultBlob(bytes(8)), new Uint8Array(new ArrayBuffer(9)))).rejects.toThrow(/shrank/);
  });
});
