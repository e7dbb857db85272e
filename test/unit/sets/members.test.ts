/**
 * How a member is read from its blob (src/sets/members.ts), against a blob whose frames are plain
 * bytes: a small member in 4 MiB runs kept for its neighbours, a big one as a file's download is
 * read (16 MiB runs, 4 at once, none kept); every byte exact; a run that fails to verify fails it.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CorruptedError } from '../../../src/crypto/errors.ts';
import { readPlaintext } from '../../../src/crypto/random-access.ts';
import type { DataObject } from '../../../src/download/data-object.ts';
import type { OpenedLink, Sink } from '../../../src/download/downloader.ts';
import { pumpToSink, streamChunks } from '../../../src/download/pump.ts';
import { zipStream } from '../../../src/download/zip.ts';
import { DEFAULT_RANGE_SIZE, type FrameRun, messageLayout } from '../../../src/layout.ts';
import { BlobReader, LARGE_MEMBER, MEMBER_RUN_SIZE, memberStream } from '../../../src/sets/members.ts';
import { randomData, readAll, sha256 } from '../helpers.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const F = 64 * KiB;

/** A blob of `bytes` whose runs are counted; `bad`: a frame that fails to verify. */
function fakeBlob(bytes: Uint8Array<ArrayBuffer>, bad?: number) {
  const layout = messageLayout(bytes.byteLength, F, 64);
  const runs: FrameRun[] = [];
  const recycled: Uint8Array<ArrayBuffer>[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const readFrames = async (run: FrameRun) => {
    runs.push(run);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 1));
    inFlight--;
    const lastSeq = run.firstSeq + Math.ceil(run.plainLength / F) - 1;
    if (bad !== undefined && bad >= run.firstSeq && bad <= lastSeq) throw new CorruptedError({ frame: bad, field: 'tag' } as never, 'test');
    const start = (run.firstSeq - 1) * F;
    return bytes.slice(start, start + run.plainLength);
  };
  const data = {
    link: {} as OpenedLink,
    layout,
    plaintextSize: bytes.byteLength,
    readFrames,
    read: (start: number, end: number) => readPlaintext(layout, readFrames, start, end),
    pieces: () => [],
    recycle: (piece: Uint8Array<ArrayBuffer>) => recycled.push(piece),
  } as unknown as DataObject;
  return { reader: new BlobReader(data), runs, maxInFlight: () => maxInFlight, recycled };
}

describe('memberStream', () => {
  it('reads a big member like a file: 16 MiB runs, 4 at once, not kept; bytes exact', async () => {
    const bytes = randomData(70 * MiB + 12_345);
    const blob = fakeBlob(bytes);
    const start = 3 * KiB;
    const end = bytes.byteLength - 5;
    expect(end - start).toBeGreaterThanOrEqual(LARGE_MEMBER);
    const out = await readAll(memberStream(blob.reader, start, end));
    expect(sha256(out)).toBe(sha256(bytes.subarray(start, end)));
    expect(blob.runs.length).toBe(Math.ceil(bytes.byteLength / DEFAULT_RANGE_SIZE));
    expect(Math.max(...blob.runs.map((r) => r.plainLength))).toBe(DEFAULT_RANGE_SIZE);
    expect(blob.maxInFlight()).toBeLessThanOrEqual(4);
    // Not kept: read again, fetched again.
    await readAll(memberStream(blob.reader, start, end));
    expect(blob.runs.length).toBe(2 * Math.ceil(bytes.byteLength / DEFAULT_RANGE_SIZE));
  });

  it('reads small members of a pack in 4 MiB runs, each run once for neighbours', async () => {
    const bytes = randomData(6 * MiB);
    const blob = fakeBlob(bytes);
    const cuts = [0, 1 * MiB, 3 * MiB + 7, 5 * MiB, 6 * MiB];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const out = await readAll(memberStream(blob.reader, cuts[i], cuts[i + 1]));
      expect(sha256(out)).toBe(sha256(bytes.subarray(cuts[i], cuts[i + 1])));
    }
    expect(blob.runs.map((r) => r.firstSeq)).toEqual([1, MEMBER_RUN_SIZE / F + 1]);
  });

  it('fails a big member whose frame does not verify', async () => {
    const bytes = randomData(40 * MiB);
    const blob = fakeBlob(bytes, 300);
    await expect(readAll(memberStream(blob.reader, 0, bytes.byteLength))).rejects.toBeInstanceOf(CorruptedError);
  });

  it('gives a big member’s runs back to the runner once a releasing sink has written them, through the ZIP writer too; a pack’s never', async () => {
    const bytes = randomData(40 * MiB + 5);
    const blob = fakeBlob(bytes);
    const hash = createHash('sha256');
    const releasing = (): Sink => ({
      releasesChunks: true,
      write: async (chunk) => void hash.update(chunk),
      close: async () => {},
      abort: async () => {},
    });
    const big = { path: 'big.bin', size: bytes.byteLength - 1, modified: 0, open: async () => memberStream(blob.reader, 1, bytes.byteLength) };
    await pumpToSink(streamChunks(zipStream([big])), releasing());
    // Every run read, each given back once, whole: the next ranges are opened into them.
    expect(blob.recycled.length).toBe(blob.runs.length);
    expect(new Set(blob.recycled.map((b) => b.buffer)).size).toBe(blob.runs.length);
    expect(blob.recycled.map((b) => b.byteLength)).toEqual(blob.runs.map((r) => r.plainLength));
    expect(
      createHash('sha256')
        .update(await readAll(zipStream([big])))
        .digest('hex'),
    ).toBe(hash.copy().digest('hex'));

    const pack = fakeBlob(randomData(6 * MiB));
    for (const [start, end] of [
      [0, MiB],
      [MiB, 5 * MiB],
    ])
      await pumpToSink(streamChunks(memberStream(pack.reader, start, end)), releasing());
    expect(pack.recycled).toEqual([]);
  });
});
