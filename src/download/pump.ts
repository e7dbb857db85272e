/**
 * The one path from verified plaintext to a sink: a download, a set's member, its ZIP, a file in a
 * picked folder. Chunks are written in order, each awaited; the sink is closed only once every
 * chunk is in and nothing failed, otherwise it is aborted and the error rethrown — so a failure
 * never leaves anything complete-looking behind (a sink's close is what gives a file its name or
 * ends a browser download).
 */
import type { Sink } from './downloader.ts';

export type Chunk = Uint8Array<ArrayBuffer>;

/** Chunks whose memory goes back to its owner once a sink that releases chunks has written them. */
const giveBacks = new WeakMap<Uint8Array, () => void>();

/**
 * Marks `chunk` as one whose memory its producer wants back (a worker's plaintext buffer, for the
 * next range to be opened into): after a sink with `releasesChunks` has written it, the pump calls
 * `giveBack`. A sink that may keep the chunk never triggers it. The producer must hold no other
 * reference to that memory, and whatever passes the chunk on must not copy it into another object.
 */
export function returnable<T extends Uint8Array>(chunk: T, giveBack: () => void): T {
  giveBacks.set(chunk, giveBack);
  return chunk;
}

/**
 * Hands each chunk, in order, to `write`, awaiting it, and resolves once there are no more;
 * `signal` is the pump's, for a producer that can stop early.
 */
export type Producer = (write: (chunk: Chunk) => Promise<void>, signal?: AbortSignal) => Promise<void>;

export interface PumpOptions {
  /** stops the pump: it fails with the signal's reason, and a stream being read is cancelled */
  signal?: AbortSignal;
  /** after each chunk is written: its length, and all written so far */
  onWritten?: (bytes: number, total: number) => void;
  /** when given, ending with another count fails the pump (a source that gave too little or too much) */
  expectedBytes?: number;
}

/** Writes what `produce` gives into `sink`, then closes it; on any failure aborts it and rethrows. Resolves with the bytes written. */
export async function pumpToSink(produce: Producer, sink: Sink, options: PumpOptions = {}): Promise<number> {
  const { signal, onWritten, expectedBytes } = options;
  let written = 0;
  try {
    signal?.throwIfAborted();
    await produce(async (chunk) => {
      signal?.throwIfAborted();
      const length = chunk.byteLength;
      await sink.write(chunk);
      if (sink.releasesChunks) giveBacks.get(chunk)?.();
      written += length;
      onWritten?.(chunk.byteLength, written);
    }, signal);
    // A cancelled stream ends as if it were complete: the signal, not the stream, says it is not.
    signal?.throwIfAborted();
    if (expectedBytes !== undefined && written !== expectedBytes) throw new RangeError(`ended after ${written} of its ${expectedBytes} bytes`);
    await sink.close();
  } catch (error) {
    await sink.abort(error).catch(() => undefined);
    throw error;
  }
  return written;
}

/**
 * A stream as a producer. `open` may be a function, called inside the pump, so that failing to
 * open the stream aborts the sink too. An abort of the pump's signal cancels the stream.
 */
export function streamChunks(open: ReadableStream<Uint8Array> | (() => ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>>)): Producer {
  return async (write, signal) => {
    const reader = (typeof open === 'function' ? await open() : open).getReader();
    const stop = () => void reader.cancel(signal?.reason).catch(() => undefined);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        // Streams type their chunks over any buffer; every source here gives ArrayBuffer-backed ones.
        await write(value as Chunk);
      }
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  };
}
