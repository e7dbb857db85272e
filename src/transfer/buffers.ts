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
    return new Uint8Array(this.spare(size) ?? new ArrayBuffer(size), 0, size);
  }

  /** The smallest pooled buffer of at least `size` bytes, taken out of the pool, or undefined. */
  spare(size: number): ArrayBuffer | undefined {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      if (this.free[i].byteLength >= size && (best < 0 || this.free[i].byteLength < this.free[best].byteLength)) best = i;
    }
    return best >= 0 ? this.free.splice(best, 1)[0] : undefined;
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

/**
 * The page's plaintext buffers that the service worker has handed back once the browser wrote them
 * (download/sinks.ts), for the workers to open the next runs into (workers/pool.ts): a download's
 * plaintext then cycles through the same few buffers instead of a fresh 16 MiB one per range in a
 * worker, each left for the page's collector (README "Where the CPU goes", Memory). Only buffers
 * no one else holds are given: the service worker's are transferred, so detached everywhere else.
 */
export const spentPlaintext = new BufferPool();

/**
 * How long a BYOB read of a file may make no progress before the range is read again by copying.
 * Chromium 156 sometimes never settles a BYOB read of a picked file's stream (README "Where the CPU
 * goes": seen with two slices read at once in one worker; the sealer now reads one at a time), so
 * the fast path keeps a way out. A healthy read of a local file brings bytes every few ms.
 */
export const BYOB_STALL_MS = 3000;

/**
 * Reads a Blob range into `out`'s memory and returns a view of exactly it: the same memory, but
 * after a BYOB read a new ArrayBuffer object (each read transfers the buffer), so callers use and
 * give back the view returned, not `out`. Where the Blob's stream is a byte stream (Chromium,
 * Firefox), a BYOB reader fills `out` itself and no chunk lands in fresh memory, the largest cost
 * of an encrypted upload (README "Where the CPU goes"). If a BYOB read stalls for `stallMs`, or
 * where the stream is not a byte stream (WebKit), a default reader copies each chunk in. A file
 * that grew or shrank while it was read is refused either way.
 */
export async function readBlobInto(blob: Blob, out: Uint8Array<ArrayBuffer>, stallMs = BYOB_STALL_MS): Promise<Uint8Array<ArrayBuffer>> {
  const stream = blob.stream();
  let reader: ReadableStreamBYOBReader;
  try {
    reader = stream.getReader({ mode: 'byob' });
  } catch {
    return readByCopy(stream, out);
  }
  const length = out.byteLength;
  const read = await readByByob(reader, out, stallMs);
  if (read) return read;
  console.warn(`A read of the file made no progress for ${stallMs} ms: reading this part again by copying`);
  // Stalled: the reader was cancelled, and with it went `out`'s buffer (transferred to the stream, `out` now detached).
  return readByCopy(blob.stream(), new Uint8Array(length));
}

/** What `byobReadWithin` answers when no bytes came in time. */
export const STALLED = Symbol('stalled');

/**
 * One BYOB read, or STALLED if it has not settled within `stallMs` (the read is then still pending:
 * the caller cancels the reader). Shared by file reads here and response bodies (http.ts `readExactly`).
 */
export async function byobReadWithin(
  reader: ReadableStreamBYOBReader,
  view: Uint8Array<ArrayBuffer>,
  stallMs: number,
): Promise<ReadableStreamReadResult<Uint8Array<ArrayBuffer>> | typeof STALLED> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<typeof STALLED>((resolve) => {
    timer = setTimeout(() => resolve(STALLED), stallMs);
  });
  try {
    return await Promise.race([reader.read(view), stalled]);
  } finally {
    clearTimeout(timer);
  }
}

/** The range through a BYOB reader into `out`'s memory, or null if a read stalled (the reader then cancelled). */
async function readByByob(reader: ReadableStreamBYOBReader, out: Uint8Array<ArrayBuffer>, stallMs: number): Promise<Uint8Array<ArrayBuffer> | null> {
  let buffer = out.buffer;
  const { byteOffset: start, byteLength: length } = out;
  let at = 0;
  while (at < length) {
    const result = await byobReadWithin(reader, new Uint8Array(buffer, start + at, length - at), stallMs);
    if (result === STALLED) break;
    if (result.done || !result.value) throw new Error('the file shrank while it was read');
    buffer = result.value.buffer;
    at += result.value.byteLength;
  }
  // One more read, into a byte of its own (an empty range has none), must find the end: a longer file is not this part.
  const end = at === length ? await byobReadWithin(reader, new Uint8Array(1), stallMs) : STALLED;
  if (end === STALLED) {
    void reader.cancel().catch(() => undefined);
    return null;
  }
  if (!end.done) throw new Error('the file grew while it was read');
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
