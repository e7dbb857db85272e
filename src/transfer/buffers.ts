/**
 * Reusable part-sized buffers. A fresh 16 MiB allocation is paid in page faults on every part —
 * measured here at ~0.6 GB/s for fresh memory against hundreds of GB/s for reused memory — so
 * each worker keeps a few buffers and hands them out again. Bounded: at most `MAX_POOLED` kept.
 * Every part-sized buffer alive can stay resident long after its last use (README "Where the CPU
 * goes": Chromium frees them only at a full collection of the thread that last held them), so the
 * pool keeps only as many as a worker uses at once: one plaintext and one sealed part while
 * uploading (upload/sealer.ts), two ranges while downloading.
 */
const MAX_POOLED = 2;

export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  /**
   * A view of exactly `size` bytes on the smallest pooled buffer that holds them, or on a new one;
   * contents are stale. Any large enough buffer serves, so a file's first part (which carries the
   * header) and its short last one reuse the buffers of full parts.
   */
  take(size: number): Uint8Array<ArrayBuffer> {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      if (this.free[i].byteLength >= size && (best < 0 || this.free[i].byteLength < this.free[best].byteLength)) best = i;
    }
    const buffer = best >= 0 ? this.free.splice(best, 1)[0] : new ArrayBuffer(size);
    return new Uint8Array(buffer, 0, size);
  }

  /** Takes the view's whole buffer back. Full, the pool keeps its largest buffers: they serve every size. */
  give(view: Uint8Array<ArrayBuffer>): void {
    // A detached buffer (transferred away) has length 0 and is simply dropped.
    if (view.buffer.byteLength === 0 || this.free.includes(view.buffer)) return;
    this.free.push(view.buffer);
    if (this.free.length > MAX_POOLED) {
      const smallest = this.free.reduce((s, b, i) => (b.byteLength < this.free[s].byteLength ? i : s), 0);
      this.free.splice(smallest, 1);
    }
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
