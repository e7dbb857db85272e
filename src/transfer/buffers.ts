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

/** Reads a Blob range into `out` through the Blob's stream, without an intermediate whole-range ArrayBuffer. */
export async function readBlobInto(blob: Blob, out: Uint8Array): Promise<void> {
  const reader = blob.stream().getReader();
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.byteLength > out.byteLength) throw new Error('the file grew while it was read');
    out.set(value, at);
    at += value.byteLength;
  }
  if (at !== out.byteLength) throw new Error('the file shrank while it was read');
}
