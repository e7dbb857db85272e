/**
 * pumpToSink (src/download/pump.ts): the sink is closed only when every chunk is in and nothing
 * failed; a failure anywhere — the source, the sink, an abort, a short or long source — aborts it
 * instead, never closes it, and is rethrown as it was.
 */
import { describe, expect, it } from 'vitest';
import type { Sink } from '../../../src/download/downloader.ts';
import { type Chunk, type Producer, pumpToSink, returnable, streamChunks } from '../../../src/download/pump.ts';

class RecordingSink implements Sink {
  written: number[] = [];
  closed = false;
  aborted: unknown[] = [];
  constructor(private readonly failWriteAt = -1) {}
  async write(chunk: Chunk) {
    if (this.written.length === this.failWriteAt) throw new Error('disk full');
    this.written.push(chunk.byteLength);
  }
  async close() {
    this.closed = true;
  }
  async abort(reason: unknown) {
    this.aborted.push(reason);
  }
}

const chunk = (n: number): Chunk => new Uint8Array(n);

/** A stream of chunks of `sizes`, then an error if `failAfter` is given. */
function source(sizes: number[], failAfter?: Error): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < sizes.length) return controller.enqueue(chunk(sizes[i++]));
      if (failAfter) return controller.error(failAfter);
      controller.close();
    },
  });
}

/** A stream that gives `first` and then waits for ever (until cancelled). */
function stalled(first: number): { stream: ReadableStream<Uint8Array>; cancelled: Promise<unknown> } {
  let sent = false;
  let onCancel: (reason: unknown) => void = () => {};
  const cancelled = new Promise<unknown>((resolve) => {
    onCancel = resolve;
  });
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(chunk(first));
      }
      return new Promise(() => {});
    },
    cancel: (reason) => onCancel(reason),
  });
  return { stream, cancelled };
}

describe('pumpToSink', () => {
  it('writes every chunk in order, reports each, closes once and returns the count', async () => {
    const sink = new RecordingSink();
    const seen: [number, number][] = [];
    const written = await pumpToSink(streamChunks(source([3, 0, 5, 7])), sink, { onWritten: (n, total) => seen.push([n, total]), expectedBytes: 15 });
    expect(written).toBe(15);
    expect(sink.written).toEqual([3, 0, 5, 7]);
    expect(seen).toEqual([
      [3, 3],
      [0, 3],
      [5, 8],
      [7, 15],
    ]);
    expect(sink.closed).toBe(true);
    expect(sink.aborted).toEqual([]);
  });

  it('an empty source closes an empty sink', async () => {
    const sink = new RecordingSink();
    expect(await pumpToSink(streamChunks(source([])), sink)).toBe(0);
    expect(sink.closed).toBe(true);
  });

  it('a source that errors mid-stream aborts the sink with that error and never closes it', async () => {
    const sink = new RecordingSink();
    const boom = new Error('frame 3 is corrupted');
    await expect(pumpToSink(streamChunks(source([4, 4], boom)), sink)).rejects.toBe(boom);
    expect(sink.written).toEqual([4, 4]);
    expect(sink.closed).toBe(false);
    expect(sink.aborted).toEqual([boom]);
  });

  it('a sink write that fails stops the pump, aborts the sink, and is rethrown', async () => {
    const sink = new RecordingSink(1);
    const seen: number[] = [];
    await expect(pumpToSink(streamChunks(source([1, 2, 3])), sink, { onWritten: (n) => seen.push(n) })).rejects.toThrow('disk full');
    expect(sink.written).toEqual([1]);
    expect(seen).toEqual([1]);
    expect(sink.closed).toBe(false);
    expect(sink.aborted).toHaveLength(1);
  });

  it('a stream that fails to open aborts the sink', async () => {
    const sink = new RecordingSink();
    const refused = new Error('blob header does not match');
    await expect(
      pumpToSink(
        streamChunks(() => Promise.reject(refused)),
        sink,
      ),
    ).rejects.toBe(refused);
    expect(sink.aborted).toEqual([refused]);
    expect(sink.closed).toBe(false);
  });

  it('a producer that throws before its first chunk aborts the sink', async () => {
    const sink = new RecordingSink();
    const produce: Producer = () => {
      throw new RangeError('frames 0…1 are not in a message of 1');
    };
    await expect(pumpToSink(produce, sink)).rejects.toThrow(RangeError);
    expect(sink.aborted).toHaveLength(1);
    expect(sink.closed).toBe(false);
  });

  it.each([
    [[5, 4], 10, 'ended after 9 of its 10 bytes'],
    [[5, 6], 10, 'ended after 11 of its 10 bytes'],
  ])('a source of %j against an expected %i bytes fails before close', async (sizes, expected, message) => {
    const sink = new RecordingSink();
    await expect(pumpToSink(streamChunks(source(sizes)), sink, { expectedBytes: expected })).rejects.toThrow(message);
    expect(sink.closed).toBe(false);
    expect(sink.aborted).toHaveLength(1);
  });

  it('an abort mid-stream cancels the stream and aborts (not closes) the sink, though the cancelled read ends like a complete one', async () => {
    const sink = new RecordingSink();
    const controller = new AbortController();
    const { stream, cancelled } = stalled(8);
    // Aborted while the next read waits: the cancel ends that read as `done`, like a stream's end.
    const abortSoon = () => setTimeout(() => controller.abort(new DOMException('Cancelled', 'AbortError')), 5);
    const pumping = pumpToSink(streamChunks(stream), sink, { signal: controller.signal, onWritten: abortSoon });
    await expect(pumping).rejects.toMatchObject({ name: 'AbortError' });
    expect((await cancelled) as DOMException).toBe(controller.signal.reason);
    expect(sink.written).toEqual([8]);
    expect(sink.closed).toBe(false);
    expect(sink.aborted).toEqual([controller.signal.reason]);
  });

  it('an already aborted signal writes nothing', async () => {
    const sink = new RecordingSink();
    const controller = new AbortController();
    controller.abort();
    await expect(pumpToSink(streamChunks(source([1])), sink, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(sink.written).toEqual([]);
    expect(sink.closed).toBe(false);
  });

  it('a producer that is not a stream (the downloader’s ordered pool) goes the same way', async () => {
    const sink = new RecordingSink();
    const boom = new Error('range 2 failed');
    const produce: Producer = async (write) => {
      await write(chunk(2));
      throw boom;
    };
    await expect(pumpToSink(produce, sink)).rejects.toBe(boom);
    expect(sink.written).toEqual([2]);
    expect(sink.aborted).toEqual([boom]);
    expect(sink.closed).toBe(false);
  });

  describe('returnable chunks (a worker’s buffer wanted back)', () => {
    /** Three chunks through a stream, each marked returnable; the sink's writes and the give-backs, in order. */
    async function pumpReturnable(sink: RecordingSink) {
      const events: string[] = [];
      const chunks = [chunk(3), chunk(5), chunk(7)].map((c, i) => returnable(c, () => events.push(`back ${i}`)));
      const write = sink.write.bind(sink);
      sink.write = async (c) => {
        await write(c);
        events.push(`written ${chunks.indexOf(c)}`);
      };
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const c of chunks) controller.enqueue(c);
          controller.close();
        },
      });
      const outcome = await pumpToSink(streamChunks(stream), sink).catch((e: Error) => e.message);
      return { events, outcome };
    }

    it('are given back each after a sink that releases chunks has written it', async () => {
      const { events, outcome } = await pumpReturnable(Object.assign(new RecordingSink(), { releasesChunks: true }));
      expect(outcome).toBe(15);
      expect(events).toEqual(['written 0', 'back 0', 'written 1', 'back 1', 'written 2', 'back 2']);
    });

    it('are never given back to a sink that may keep them, nor by a write that failed', async () => {
      expect((await pumpReturnable(new RecordingSink())).events).toEqual(['written 0', 'written 1', 'written 2']);
      const { events, outcome } = await pumpReturnable(Object.assign(new RecordingSink(1), { releasesChunks: true }));
      expect(outcome).toBe('disk full');
      expect(events).toEqual(['written 0', 'back 0']);
    });
  });
});
