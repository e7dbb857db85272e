/**
 * Reusable part-sized buffers. A fresh 16 MiB allocation is paid in page faults on every part —
 * measured here at ~0.6 GB/s for fresh memory against hundreds of GB/s for reused memory — so
 * each worker keeps a few buffers and hands them out again. Bounded: at most `MAX_POOLED` kept.
 */
/** A worker runs about two parts at once, each needing a plaintext and a sealed buffer. */
const MAX_POOLED = 4;

export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  /** A whole buffer of exactly `size` bytes, pooled or new; contents are stale. Parts repeat one size, so exact matches are the common case. */
  take(size: number): Uint8Array<ArrayBuffer> {
    const i = this.free.findIndex((b) => b.byteLength === size);
    const buffer = i >= 0 ? this.free.splice(i, 1)[0] : new ArrayBuffer(size);
    return new Uint8Array(buffer);
  }

  give(view: Uint8Array<ArrayBuffer>): void {
    // A detached buffer (transferred away) has length 0 and is simply dropped.
    if (view.buffer.byteLength > 0 && this.free.length < MAX_POOLED) this.free.push(view.buffer);
  }
}

/**
 * Reads a Blob range into `out`'s memory and returns a view of exactly it. Where the Blob's stream
 * is a byte stream (Chromium, Firefox), a BYOB reader fills `out` itself: no chunk lands in fresh
 * memory, which the profile (README "Where the CPU goes") found to be the largest cost of an
 * encrypted upload. Each read transfers the buffer, so the returned view is on the buffer the last
 * read handed back: the same memory, a new ArrayBuffer object (callers use it, not `out`).
 * Elsewhere (WebKit) a default reader copies each chunk in.
 */
export async function readBlobInto(blob: Blob, out: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = blob.stream();
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    // Not a byte stream: the copying path below.
  }
  if (!byob) return readByCopy(stream, out);
  let buffer = out.buffer;
  const start = out.byteOffset;
  const length = out.byteLength;
  let at = 0;
  while (at < length) {
    const { done, value } = await byob.read(new Uint8Array(buffer, start + at, length - at));
    if (done || !value) throw new Error('the file shrank while it was read');
    buffer = value.buffer;
    at += value.byteLength;
  }
  // One more read must find the end: a longer file is not this part.
  const { done, value } = await byob.read(new Uint8Array(buffer, start, 1));
  if (value) buffer = value.buffer;
  if (!done) throw new Error('the file grew while it was read');
  return new Uint8Array(buffer, start, length);
}

async function readByCopy(stream: ReadableStream<Uint8Array>, out: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const reader = stream.getReader();
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.byteLength > out.byteLength) throw new Error('the file grew while it was read');
    out.set(value, at);
    at += value.byteLength;
  }
  if (at !== out.byteLength) throw new Error('the file shrank while it was read');
  return out;
}
