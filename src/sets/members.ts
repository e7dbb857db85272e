/**
 * A member of a set is bytes [start, end) of its blob's plaintext. It is read as runs of whole
 * frames (each authenticated in a worker before anything is released), a few ahead, and cut to
 * the member's edges: constant memory at any size. Runs lie on a fixed grid of the blob and the
 * last few are kept, so the small members of a pack, read one after another (a ZIP, a folder),
 * fetch and decrypt each frame once, not once per member. A big member is read as a file is: runs
 * of a download's range size, as many at once as a download has ranges in flight, none kept.
 */
import { FormatError } from '../crypto/errors.ts';
import type { DataObject } from '../download/data-object.ts';
import { DEFAULT_RANGES_IN_FLIGHT, type Sink } from '../download/downloader.ts';
import { pumpToSink, returnable, streamChunks } from '../download/pump.ts';
import { DEFAULT_RANGE_SIZE, type FrameRun, frameRun, type MessageLayout } from '../layout.ts';

const MiB = 1024 * 1024;
/** A run: big enough for throughput on a big member, small enough that one tiny member costs little. */
export const MEMBER_RUN_SIZE = 4 * MiB;
export const RUNS_AHEAD = 4;
/**
 * A member at least this big is read in DEFAULT_RANGE_SIZE runs, DEFAULT_RANGES_IN_FLIGHT at once,
 * like a file's download (4 MiB runs cost it 4 × the GETs and worker round trips): the same memory
 * as a download, and its runs are not kept (no neighbour shares them).
 */
export const LARGE_MEMBER = DEFAULT_RANGE_SIZE;
/** Runs kept after use: a pack's next member usually starts in the run the last one ended in. */
const RUNS_KEPT = 2;

/** A blob opened for member reads: its runs, each read once while it is among the last few used. */
export class BlobReader {
  private readonly kept = new Map<number, Promise<Uint8Array<ArrayBuffer>>>();
  constructor(readonly data: DataObject) {}

  read(run: FrameRun): Promise<Uint8Array<ArrayBuffer>> {
    const known = this.kept.get(run.firstSeq);
    if (known) {
      this.kept.delete(run.firstSeq);
      this.kept.set(run.firstSeq, known);
      return known;
    }
    const read = this.data.readFrames(run);
    // A read that fails while not yet awaited must not be an unhandled rejection; it is rethrown when its turn comes.
    read.catch(() => undefined);
    this.kept.set(run.firstSeq, read);
    while (this.kept.size > RUNS_KEPT + RUNS_AHEAD) this.kept.delete(this.kept.keys().next().value as number);
    return read;
  }
}

interface MemberRun {
  run: FrameRun;
  /** where, in the run's plaintext, the member's bytes are */
  from: number;
  to: number;
}

/** The runs of the blob's grid that cover [start, end), with the cut of each. */
export function memberRuns(layout: MessageLayout, start: number, end: number, runSize = MEMBER_RUN_SIZE): MemberRun[] {
  const F = layout.frameLength;
  const perRun = Math.max(1, Math.floor(runSize / F));
  const runs: MemberRun[] = [];
  if (end <= start) return runs;
  const firstFrame = Math.floor(start / F);
  const lastFrame = Math.floor((end - 1) / F);
  for (let g = Math.floor(firstFrame / perRun); g * perRun <= lastFrame; g++) {
    const firstSeq = g * perRun + 1;
    const lastSeq = Math.min(layout.frameCount, firstSeq + perRun - 1);
    const runStart = (firstSeq - 1) * F;
    runs.push({ run: frameRun(layout, firstSeq, lastSeq), from: Math.max(0, start - runStart), to: Math.min(end, lastSeq * F) - runStart });
  }
  return runs;
}

/** The member's plaintext as a stream, a few runs ahead; `largeMember`: from what size it is read like a file. */
export function memberStream(reader: BlobReader, start: number, end: number, largeMember = LARGE_MEMBER): ReadableStream<Uint8Array<ArrayBuffer>> {
  const large = end - start >= largeMember;
  const runs = memberRuns(reader.data.layout, start, end, large ? DEFAULT_RANGE_SIZE : MEMBER_RUN_SIZE);
  const inFlight = large ? DEFAULT_RANGES_IN_FLIGHT : RUNS_AHEAD;
  const recycle = reader.data.recycle?.bind(reader.data);
  const pending: Promise<Uint8Array<ArrayBuffer>>[] = [];
  let next = 0;
  const fill = () => {
    while (pending.length < inFlight && next < runs.length) {
      const { run, from, to } = runs[next++];
      const runStart = (run.firstSeq - 1) * reader.data.layout.frameLength;
      // A run spans other members of a pack: when it fails to verify, this member's own frames are
      // read alone, so a tampered frame fails the member it belongs to, not a neighbour.
      const cut = (large ? reader.data.readFrames(run) : reader.read(run)).then(
        // A big member's run is its own (not kept for neighbours): its buffer can go back to the runner once written.
        (plain) => (large && recycle ? returnable(plain.subarray(from, to), () => recycle(plain)) : plain.subarray(from, to)),
        async (error) => {
          if (!(error instanceof FormatError)) throw error;
          return new Uint8Array(await reader.data.read(runStart + from, runStart + to));
        },
      );
      cut.catch(() => undefined); // rethrown in its turn, below
      pending.push(cut);
    }
  };
  return new ReadableStream({
    async pull(controller) {
      fill();
      const read = pending.shift();
      if (!read) return controller.close();
      controller.enqueue(await read);
      if (pending.length === 0 && next >= runs.length) controller.close();
    },
  });
}

/** Writes one member into `sink`; aborts the sink on any failure. */
export async function downloadMember(blob: BlobReader, start: number, end: number, sink: Sink, onProgress?: (done: number) => void): Promise<void> {
  await pumpToSink(
    streamChunks(() => memberStream(blob, start, end)),
    sink,
    { onWritten: (_, done) => onProgress?.(done) },
  );
}
