/**
 * Audio and video of any size, played in the page without downloading the whole file. The
 * service worker answers the media element's HTTP Range requests at `/d/_media/<token>`; for each
 * one it asks this page for the plaintext bytes, which are read from the data object
 * (data-object.ts) like any download: only the frames covering the range are fetched, by the
 * worker pool, and each is authenticated before a byte of it is handed on. Seeking therefore costs
 * a few frames, not the file; closing the preview aborts whatever is still being read.
 */
import { randomBytes, toBase64Url } from '../crypto/bytes.ts';
import { MiB } from '../crypto/format.ts';
import type { PlaintextReader } from '../crypto/random-access.ts';
import { isAbort, LinkError } from '../errors.ts';
import { type OpenDataOptions, openDataObject } from './data-object.ts';
import type { OpenedLink } from './downloader.ts';
import { KEEPALIVE_MS, registerRelay, SERVICE_WORKER_SCOPE } from './sinks.ts';

/** Plaintext handed to the service worker per pull: two default frames. */
export const MEDIA_PIECE = 1 * MiB;
const CONTROL_TIMEOUT_MS = 10_000;

/** Media requests go through the service worker only once it controls this page. */
async function controlled(): Promise<void> {
  if (navigator.serviceWorker.controller) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new LinkError('NoStreamingSave', 'The service worker did not take control of the page')), CONTROL_TIMEOUT_MS);
    navigator.serviceWorker.addEventListener(
      'controllerchange',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** Pieces kept decrypted: media elements re-request the same bytes often (probing, seeking back). */
const CACHED_PIECES = 8;

/** Plaintext in aligned pieces, the last few cached (as promises, so concurrent requests share a fetch). */
export class PieceCache {
  private readonly pieces = new Map<number, Promise<Uint8Array>>();
  constructor(
    private readonly message: PlaintextReader,
    private readonly capacity = CACHED_PIECES,
  ) {}

  /** Plaintext [start, end), which must lie within one piece. */
  async read(start: number, end: number): Promise<Uint8Array> {
    const index = Math.floor(start / MEDIA_PIECE);
    const offset = index * MEDIA_PIECE;
    if (end > offset + MEDIA_PIECE) throw new RangeError('a read must stay within one piece');
    return (await this.piece(index)).subarray(start - offset, end - offset);
  }

  private piece(index: number): Promise<Uint8Array> {
    let piece = this.pieces.get(index);
    if (piece)
      this.pieces.delete(index); // re-inserted below: most recently used last
    else {
      const start = index * MEDIA_PIECE;
      piece = this.message.read(start, Math.min(start + MEDIA_PIECE, this.message.plaintextSize));
      piece.catch(() => this.pieces.delete(index));
    }
    this.pieces.set(index, piece);
    for (const oldest of this.pieces.keys()) {
      if (this.pieces.size <= this.capacity) break;
      this.pieces.delete(oldest);
    }
    return piece;
  }
}

/** Answers one Range request: plaintext [start, end] in pieces, one per pull of the service worker. */
function serveRange(message: PieceCache, start: number, end: number, port: MessagePort, onError: (error: unknown) => void): void {
  let position = start;
  port.onmessage = async ({ data }) => {
    if (data.type === 'cancel') {
      port.close();
      return;
    }
    if (data.type !== 'pull') return;
    if (position > end) {
      port.postMessage({ type: 'end' });
      port.close();
      return;
    }
    // Pieces end on multiples of MEDIA_PIECE, so consecutive pulls read whole frames once.
    const next = Math.min(end + 1, (Math.floor(position / MEDIA_PIECE) + 1) * MEDIA_PIECE);
    try {
      const bytes = (await message.read(position, next)).slice();
      position = next;
      port.postMessage({ type: 'chunk', chunk: bytes.buffer }, [bytes.buffer]);
    } catch (error) {
      port.postMessage({ type: 'error', message: error instanceof Error ? error.message : 'failed' });
      port.close();
      onError(error);
    }
  };
}

/** A streaming media preview: `url` is for a `<video>` or `<audio>` element; `close()` ends it. */
export class MediaPreview {
  private constructor(
    readonly url: string,
    private readonly close_: () => void,
  ) {}

  /**
   * `onError` receives the first failure of any range (tampering, truncation, network): the
   * element gets an errored response and the page says what happened. Reads run in `runner` (the
   * page's worker pool) and stop when `signal` fires or the preview is closed; those aborts are
   * not failures.
   */
  static async open(
    worker: ServiceWorker,
    link: OpenedLink,
    { signal, ...options }: OpenDataOptions,
    onError: (error: unknown) => void,
  ): Promise<MediaPreview> {
    await controlled();
    const closed = new AbortController();
    const reads = signal ? AbortSignal.any([signal, closed.signal]) : closed.signal;
    const pieces = new PieceCache(await openDataObject(link, { ...options, signal: reads }));
    const channel = new MessageChannel();
    const token = toBase64Url(randomBytes(16));
    let failed = false;
    const fail = (error: unknown) => {
      if (!failed && !reads.aborted && !isAbort(error)) onError(error);
      failed = true;
    };
    channel.port1.onmessage = ({ data, ports }) => {
      if (data.type === 'range' && ports[0]) serveRange(pieces, data.start, data.end, ports[0], fail);
    };
    await registerRelay(worker, { type: 'media', token, size: link.meta.size, mediaType: link.meta.type }, channel.port1, channel.port2);
    const keepalive = setInterval(() => worker.postMessage({ type: 'keepalive' }), KEEPALIVE_MS);
    return new MediaPreview(`${SERVICE_WORKER_SCOPE}_media/${token}`, () => {
      closed.abort();
      clearInterval(keepalive);
      worker.postMessage({ type: 'forget', token });
      channel.port1.close();
    });
  }

  close(): void {
    this.close_();
  }
}
