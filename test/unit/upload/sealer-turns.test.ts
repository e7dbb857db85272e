/**
 * How many part-sized buffers a crypto worker holds (upload/sealer.ts): where parts are spooled
 * (OPFS sync handles), one part is read and one sealed part held at a time, so two parts in flight
 * in one worker need two part buffers, not four (README "Where the CPU goes", Memory). Where parts
 * are sent from memory, a sealed part holds its buffer through its PUT, and only reading takes turns.
 * Features are detected once per realm (platform/features.ts): each test loads the sealer afresh,
 * as a new worker would, after giving Node the OPFS a worker has (or not).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { planParts } from '../../../src/layout.ts';
import type { SealedPart } from '../../../src/upload/sealer.ts';
import { randomData } from '../helpers.ts';

const FRAME = 64 * 1024;
const PART = 5 * 1024 * 1024; // the smallest part S3 takes (layout.ts)
const parts = planParts(4 * PART, FRAME, 0, PART);
const bytes = randomData(4 * PART);

type Sealer = typeof import('../../../src/upload/sealer.ts');

/** The sealer as a worker loads it, with (`opfs`) or without the OPFS sync handles. */
async function loadSealer(opfs: boolean): Promise<Sealer['aesGcmSealer']> {
  if (opfs) {
    vi.stubGlobal('navigator', { storage: { getDirectory: async () => ({}) } });
    vi.stubGlobal(
      'FileSystemFileHandle',
      class {
        createSyncAccessHandle() {}
      },
    );
  }
  vi.resetModules();
  return (await import('../../../src/upload/sealer.ts')).aesGcmSealer;
}
afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

/** A file that logs when each part's read starts (`read N`). */
function watchedFile(events: string[]): Blob {
  const blob = new Blob([bytes]);
  return {
    slice(start: number, end: number) {
      const part = parts.find((p) => p.plainStart === start)?.partNumber;
      return {
        stream() {
          events.push(`read ${part}`);
          return blob.slice(start, end).stream();
        },
      };
    },
  } as unknown as Blob;
}

/** What has happened so far, in no particular order (a part's digest and the next part's read race). */
const happened = (events: string[]) => [...events].sort();

/** Runs the event loop a little (about 100 ms): time for anything more to happen that would. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
};

/**
 * Waits until exactly `expected` has happened — the reads and seals are real, and on a busy
 * machine take longer than any fixed wait — then a little longer, and checks nothing more did.
 */
async function reach(events: string[], expected: string[]): Promise<void> {
  await vi.waitFor(() => expect(happened(events)).toEqual(expected), { timeout: 20_000, interval: 10 });
  await settle();
  expect(happened(events)).toEqual(expected);
}

/** A fresh upload's frame keys. */
const newKeys = async () => ({
  contentKey: await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']),
  messageId: new Uint8Array(32),
  frameLength: FRAME,
});

/** Seals parts 1–3 at once; each part's digest is "saved" only when the test says so. */
async function sealThree(opfs: boolean) {
  const sealer = await loadSealer(opfs);
  const keys = await newKeys();
  const events: string[] = [];
  const file = watchedFile(events);
  const saved = new Map<number, () => void>();
  const sealing = parts.slice(0, 3).map((part) =>
    sealer.seal({ file, part, keys, header: new Uint8Array(0) }, () => {
      events.push(`record ${part.partNumber}`);
      return new Promise<void>((resolve) => saved.set(part.partNumber, resolve));
    }),
  );
  return { events, saved, sealing };
}

describe('the sealer’s turns in one worker', () => {
  it('with the spool: the next part is read once this one is sealed, and sealed once this one gives its buffer back', async () => {
    const { events, saved, sealing } = await sealThree(true);
    // Part 1 sealed and waiting for its digest to be saved; part 2 read, waiting for the sealed turn; part 3 not read.
    await reach(events, ['read 1', 'read 2', 'record 1']);
    saved.get(1)?.();
    const first: SealedPart = await sealing[0];
    await reach(events, ['read 1', 'read 2', 'record 1']);
    first.release(); // spooled (send-part.ts): part 2 may seal now, and part 3 be read
    first.release(); // idempotent: one buffer, one turn back
    await reach(events, ['read 1', 'read 2', 'read 3', 'record 1', 'record 2']);
    saved.get(2)?.();
    (await sealing[1]).release();
    await reach(events, ['read 1', 'read 2', 'read 3', 'record 1', 'record 2', 'record 3']);
    saved.get(3)?.();
    const third = await sealing[2];
    expect(happened(events)).toEqual(['read 1', 'read 2', 'read 3', 'record 1', 'record 2', 'record 3']);
    expect((third.body as Uint8Array).byteLength).toBe(parts[2].cipherSize);
    third.release();
  });

  it('without the spool: a sealed part held for its PUT does not stop the next one from being sealed', async () => {
    const { events, saved, sealing } = await sealThree(false);
    // Every part sealed and waiting for its digest to be saved, none of them released.
    await reach(events, ['read 1', 'read 2', 'read 3', 'record 1', 'record 2', 'record 3']);
    for (const n of [1, 2, 3]) saved.get(n)?.();
    for (const sealed of await Promise.all(sealing)) sealed.release();
  });

  it('a part waiting for its turn gives up when its upload is cancelled, and the turns go on', async () => {
    const sealer = await loadSealer(true);
    const keys = await newKeys();
    const events: string[] = [];
    const file = watchedFile(events);
    const first = await sealer.seal({ file, part: parts[0], keys, header: new Uint8Array(0) }, async () => undefined);
    const cancel = new AbortController();
    const waiting = sealer.seal({ file, part: parts[1], keys }, async () => undefined, cancel.signal);
    await reach(events, ['read 1', 'read 2']); // part 2 read, waiting for the sealed turn part 1 holds
    cancel.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    first.release();
    const next = await sealer.seal({ file, part: parts[2], keys }, async () => undefined);
    expect((next.body as Uint8Array).byteLength).toBe(parts[2].cipherSize);
    next.release();
  });
});
