/**
 * Audio and video of any size, played in the page without downloading the whole file. The
 * service worker answers the media element's HTTP Range requests at `/_media/<token>`; for each
 * one it asks this page for the plaintext bytes, which are read with the format's random access:
 * only the frames covering the range are fetched (ranged GETs of the data object), and each is
 * authenticated before a byte of it is handed on. Seeking therefore costs a few frames, not the file.
 */
import { fromBase64Url, randomBytes, timingSafeEqual, toBase64Url } from '../crypto/bytes.ts';
import { ContextMismatchError, TruncatedError } from '../crypto/errors.ts';
import { MiB } from '../crypto/format.ts';
import { objectContext } from '../crypto/objects.ts';
import { openRandomAccess, type RandomAccessMessage, type RandomAccessSource } from '../crypto/random-access.ts';
import { TransferError } from '../errors.ts';
import type { Api } from '../transfer/api.ts';
import { withRetries } from '../transfer/retry.ts';
import { getRange, type OpenedLink, refresher } from './downloader.ts';
import { registerRelay } from './sinks.ts';

/** Plaintext handed to the service worker per pull: two default frames. */
export const MEDIA_PIECE = 1 * MiB;
const KEEPALIVE_MS = 10_000;
const CONTROL_TIMEOUT_MS = 10_000;

/** The data object as a random-access source: ranged GETs, retried, re-presigned when expired. */
export function dataObjectSource(link: OpenedLink, api: Api, signal?: AbortSignal): RandomAccessSource {
  const refresh = refresher(link, api, signal);
  return {
    size: link.info.size,
    read: (start, end) =>
      end <= start
        ? Promise.resolve(new Uint8Array(0))
        : withRetries(() => getRange(link.info.dataUrl, start, end - 1, signal, link.storeHeaders), refresh, signal, { presigned: true }),
  };
}

/** Opens the data object for random access and checks it is the one the meta object names. */
export async function openDataObject(link: OpenedLink, api: Api, signal?: AbortSignal): Promise<RandomAccessMessage> {
  const opened = await openRandomAccess(dataObjectSource(link, api, signal), link.wrappingKey, objectContext(link.id, 'data'), link.keyName);
  const expectedId = fromBase64Url(link.meta.dataMessageId);
  if (!expectedId || !timingSafeEqual(expectedId, opened.message.messageId))
    throw new ContextMismatchError('The stored file does not belong to these file details');
  if (opened.plaintextSize !== link.meta.size) throw new TruncatedError('The stored file does not have the size its details promise');
  return opened;
}

/** Media requests go through the service worker only once it controls this page. */
async function controlled(): Promise<void> {
  if (navigator.serviceWorker.controller) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TransferError('NoStreamingSave', 'The service worker did not take control of the page')), CONTROL_TIMEOUT_MS);
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
    private readonly message: Pick<RandomAccessMessage, 'read' | 'plaintextSize'>,
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
   * element gets an errored response and the page says what happened.
   */
  static async open(worker: ServiceWorker, link: OpenedLink, api: Api, onError: (error: unknown) => void): Promise<MediaPreview> {
    await controlled();
    const message = new PieceCache(await openDataObject(link, api));
    const channel = new MessageChannel();
    const token = toBase64Url(randomBytes(16));
    let failed = false;
    const fail = (error: unknown) => {
      if (!failed) onError(error);
      failed = true;
    };
    channel.port1.onmessage = ({ data, ports }) => {
      if (data.type === 'range' && ports[0]) serveRange(message, data.start, data.end, ports[0], fail);
    };
    await registerRelay(worker, { type: 'media', token, size: link.meta.size, mediaType: link.meta.type }, channel.port1, channel.port2);
    const keepalive = setInterval(() => worker.postMessage({ type: 'keepalive' }), KEEPALIVE_MS);
    return new MediaPreview(`/_media/${token}`, () => {
      clearInterval(keepalive);
      worker.postMessage({ type: 'forget', token });
      channel.port1.close();
    });
  }

  close(): void {
    this.close_();
  }
}
