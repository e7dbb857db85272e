/**
 * When the worker pool replaces a worker (workers/pool.ts): after MEMORY_BODIES_PER_WORKER parts
 * sent from memory, whose bodies Chromium keeps until the worker's isolate collects them; never for
 * spooled parts or ranges, since an ended worker's part buffers stay resident long after it ends.
 * The workers here are fakes that answer as serve.ts does.
 */
import { describe, expect, it } from 'vitest';
import { spentPlaintext } from '../../../src/transfer/buffers.ts';
import type { DecryptFramesRequest } from '../../../src/transfer/ranges.ts';
import { MEMORY_BODIES_PER_WORKER, WorkerPool } from '../../../src/workers/pool.ts';
import type { FromWorker, ToWorker } from '../../../src/workers/protocol.ts';

class FakeWorker {
  onmessage: ((event: MessageEvent<FromWorker>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  onmessageerror: (() => void) | null = null;
  terminated = false;
  readonly received: ToWorker[] = [];
  readonly transferred: Transferable[][] = [];
  postMessage(message: ToWorker, transfer: Transferable[] = []) {
    this.received.push(message);
    this.transferred.push(transfer);
  }
  terminate() {
    this.terminated = true;
  }
  /** Ends request `id` as serve.ts does: a part's ETag (sent from memory or not), or a range's plaintext. */
  reply(id: number, keptBody?: boolean, reply: { etag: string } | { plaintext: ArrayBuffer } = { etag: '"e"' }) {
    this.onmessage?.({ data: { id, ok: true, reply, keptBody } } as MessageEvent<FromWorker>);
  }
}

function poolOfOne() {
  const workers: FakeWorker[] = [];
  const pool = new WorkerPool(1, () => {
    const worker = new FakeWorker();
    workers.push(worker);
    return worker as unknown as Worker;
  });
  /** Runs one request to its end on the current worker, answered as a part sent from memory or not. */
  const one = async (type: 'sendPart' | 'decryptFrames', keptBody?: boolean) => {
    const worker = workers[workers.length - 1];
    const done = pool.run(type, {} as never);
    const sent = worker.received[worker.received.length - 1] as { id: number };
    worker.reply(sent.id, keptBody);
    await done;
  };
  return { workers, one, pool };
}

describe('WorkerPool', () => {
  it('keeps its workers for spooled parts and ranges, however many', async () => {
    const { workers, one } = poolOfOne();
    for (let i = 0; i < 3 * MEMORY_BODIES_PER_WORKER; i++) await one('sendPart', false);
    for (let i = 0; i < 3 * MEMORY_BODIES_PER_WORKER; i++) await one('decryptFrames');
    expect(workers.map((w) => w.terminated)).toEqual([false]);
  });

  it('replaces a worker once it has sent MEMORY_BODIES_PER_WORKER parts from memory', async () => {
    const { workers, one } = poolOfOne();
    for (let i = 0; i < MEMORY_BODIES_PER_WORKER - 1; i++) {
      await one('sendPart', true);
      await one('sendPart', false);
    }
    expect(workers.map((w) => w.terminated)).toEqual([false]);
    await one('sendPart', true);
    expect(workers.map((w) => w.terminated)).toEqual([true, false]);
  });

  it('opens each range into a plaintext buffer the page has finished with, transferred, and answers a view of the run', async () => {
    const { workers, pool } = poolOfOne();
    const run = { start: 0, end: 99, firstSeq: 1, endsMessage: false, plainLength: 80 };
    const request = { url: 'u', run, keys: {} } as unknown as DecryptFramesRequest;
    const spent = new ArrayBuffer(96);
    spentPlaintext.give(new Uint8Array(spent));
    const worker = workers[0];
    const first = pool.decryptFrames(request);
    const sent = worker.received[0] as { id: number; payload: DecryptFramesRequest };
    expect(sent.payload.into).toBe(spent);
    expect(worker.transferred[0]).toEqual([spent]);
    // The worker answers with that buffer (here, as the fake holds it) holding the run's plaintext first.
    worker.reply(sent.id, undefined, { plaintext: spent });
    const plain = await first;
    expect([plain.buffer, plain.byteLength]).toEqual([spent, 80]);
    // Nothing spare now: the next range goes without, and the worker opens into a new buffer.
    const second = pool.decryptFrames(request);
    const next = worker.received[1] as { id: number; payload: DecryptFramesRequest };
    expect([next.payload.into, worker.transferred[1]]).toEqual([undefined, []]);
    worker.reply(next.id, undefined, { plaintext: new ArrayBuffer(80) });
    const written = await second;
    expect(written.byteLength).toBe(80);
    // Given back once a releasing sink has written it (downloader.ts): the third range opens into it.
    pool.recycle(written);
    const third = pool.decryptFrames(request);
    const last = worker.received[2] as { id: number; payload: DecryptFramesRequest };
    expect(last.payload.into).toBe(written.buffer);
    worker.reply(last.id, undefined, { plaintext: last.payload.into as ArrayBuffer });
    await third;
  });
});
