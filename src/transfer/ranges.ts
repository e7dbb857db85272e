/**
 * The work of one ranged GET: fetch a run of whole frames and open it into its plaintext, every
 * frame authenticated and every structural check made (crypto/frames.ts `openRun`) before a byte
 * is returned. Runs in a crypto worker for the page (workers/serve.ts) and on the calling thread in
 * Node (the CLI), so both share every check. The upload's counterpart is upload/send-part.ts.
 */
import { type FrameKeys, openRun } from '../crypto/frames.ts';
import type { FrameRun } from '../layout.ts';
import { BufferPool } from './buffers.ts';
import { expectStatus, readExactly, request } from './http.ts';

export interface DecryptFramesRequest {
  /** the data object's presigned GET URL */
  url: string;
  /** extra headers for the store (SSE-C key headers) */
  headers?: Record<string, string>;
  run: FrameRun;
  keys: FrameKeys;
  /**
   * A plaintext buffer the page has finished with (the service worker handed it back), for this
   * run's plaintext instead of a fresh one: fresh memory is paid in page faults (buffers.ts).
   */
  into?: ArrayBuffer;
}

/** Where runs are fetched and opened: the worker pool in the page, this thread in Node. */
export interface FrameRunner {
  /** The plaintext of `request.run`: a view of exactly its length, on a buffer handed over whole, never copied. */
  decryptFrames(request: DecryptFramesRequest, signal?: AbortSignal): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * Takes back a run's plaintext that no one reads or holds any more (the sink has written it and
   * keeps no view), to open later runs into: fresh memory is paid in page faults (buffers.ts).
   * Only runners that reuse buffers have it; the caller must drop every reference it gave back.
   */
  recycle?(plaintext: Uint8Array<ArrayBuffer>): void;
}

/**
 * How the body of a run's GET becomes its plaintext: the one step of the read path that can be
 * swapped, as the sealer is on the upload's. Production opens AES-GCM frames (`aesGcmOpener`); the
 * benchmark's plain worker passes the bytes through (bench/page/plain-sealer.ts).
 */
export interface FrameOpener {
  /** The run's plaintext, exactly `run.plainLength` bytes, in `request.into` where it is large enough. */
  open(response: Response, request: DecryptFramesRequest): Promise<Uint8Array<ArrayBuffer>>;
}

const buffers = new BufferPool();

export const aesGcmOpener: FrameOpener = {
  async open(response, { run, keys, into }) {
    const length = run.end - run.start + 1;
    const sealed = await readExactly(response, length, buffers.take(length));
    try {
      return await openRun(keys, sealed, run.firstSeq, run.endsMessage, run.plainLength, into);
    } finally {
      buffers.give(sealed);
    }
  },
};

export async function decryptFrames(wanted: DecryptFramesRequest, signal?: AbortSignal, opener = aesGcmOpener): Promise<Uint8Array<ArrayBuffer>> {
  const { url, run, headers } = wanted;
  const response = await request(url, { headers: { ...headers, Range: `bytes=${run.start}-${run.end}` }, signal });
  await expectStatus(response, [206], `Download of bytes ${run.start}-${run.end}`);
  return opener.open(response, wanted);
}

/** Node, or tests: no workers; WebCrypto in Node already runs on its own thread pool. */
export const directFrameRunner: FrameRunner = { decryptFrames: (request, signal) => decryptFrames(request, signal) };
