/**
 * A share link's data object, opened for reading: one path for the download, the media preview and
 * the CLI. Opening reads the header with a first ranged GET and checks it belongs here: its context
 * names this file and role, the meta object names its message ID, and its length is what the meta
 * object's size makes it. After that it is read in runs of whole frames, each fetched and opened by
 * the runner (a crypto worker in the page, this thread in Node), retried and re-presigned under the
 * one retry policy; every read runs under the AbortSignal the object was opened with.
 */
import { fromBase64Url, timingSafeEqual } from '../crypto/bytes.ts';
import { ContextMismatchError, TrailingDataError, TruncatedError } from '../crypto/errors.ts';
import { ciphertextSize } from '../crypto/format.ts';
import { openMessage } from '../crypto/message.ts';
import { objectContext } from '../crypto/objects.ts';
import { type PlaintextReader, readHeader, readPlaintext } from '../crypto/random-access.ts';
import { TransferError } from '../errors.ts';
import { DEFAULT_RANGE_SIZE, type FrameRun, type MessageLayout, messageLayout, planRanges } from '../layout.ts';
import type { Api } from '../transfer/api.ts';
import { expectStatus, readExactly, request } from '../transfer/http.ts';
import type { FrameRunner } from '../transfer/ranges.ts';
import { withRetries } from '../transfer/retry.ts';
import type { OpenedLink } from './downloader.ts';

export interface DataObject extends PlaintextReader {
  readonly link: OpenedLink;
  readonly layout: MessageLayout;
  /** what every read of this object runs under */
  readonly signal?: AbortSignal;
  /** The plaintext of one run of whole frames (a planned range), every frame authenticated. */
  readFrames(run: FrameRun): Promise<Uint8Array<ArrayBuffer>>;
  /** The whole plaintext, in order, as reads of about `rangeSize` bytes each (a download's ranges). */
  pieces(rangeSize?: number): (() => Promise<Uint8Array<ArrayBuffer>>)[];
  /** Gives a piece's plaintext back to the runner once nothing holds it (FrameRunner `recycle`); absent where pieces are not the runner's own buffers. */
  recycle?(piece: Uint8Array<ArrayBuffer>): void;
}

export interface OpenDataOptions {
  api: Api;
  runner: FrameRunner;
  signal?: AbortSignal;
}

/** Bytes [start, end] (inclusive, as in HTTP) of a presigned object URL. */
export async function getRange(url: string, start: number, end: number, signal?: AbortSignal, headers?: Record<string, string>): Promise<Uint8Array> {
  const response = await request(url, { headers: { ...headers, Range: `bytes=${start}-${end}` }, signal });
  await expectStatus(response, [206], 'Download');
  return readExactly(response, end - start + 1);
}

/** After a 403 (expired presigned URLs), fetch fresh ones into the link. */
const refresher = (link: OpenedLink, api: Api, signal?: AbortSignal) => async () => {
  link.info = await (link.refreshInfo ? link.refreshInfo(signal) : api.fileInfo(link.id, signal));
};

/**
 * Reads and authenticates the data object's header and checks it against the meta object, before
 * any plaintext is read: a wrong key, a swapped, truncated or extended object fails here.
 */
export async function openDataObject(link: OpenedLink, options: OpenDataOptions): Promise<DataObject> {
  if (link.openData) return link.openData(options);
  const { api, runner, signal } = options;
  const refresh = refresher(link, api, signal);
  const presigned = <T>(attempt: () => Promise<T>) => withRetries(attempt, refresh, signal, { presigned: true });
  const header = await readHeader({
    size: link.info.size,
    read: (start, end) => presigned(() => getRange(link.info.dataUrl, start, end - 1, signal, link.storeHeaders)),
  });
  const message = await openMessage(header, link.keyring, link.dataContext ?? objectContext(link.id, 'data', link.requestId));
  const expectedId = fromBase64Url(link.meta.dataMessageId);
  if (!expectedId || !timingSafeEqual(expectedId, header.messageId)) throw new ContextMismatchError('The stored file does not belong to these file details');
  const expectedSize = ciphertextSize(link.meta.size, header.frameLength, header.length);
  const size = link.info.size;
  if (size < expectedSize) throw new TruncatedError(`The stored file is ${expectedSize - size} bytes shorter than it should be`);
  if (size > expectedSize) throw new TrailingDataError(`The stored file has ${size - expectedSize} unexpected bytes at its end`);

  const layout = messageLayout(link.meta.size, header.frameLength, header.length);
  const keys = { contentKey: message.contentKey, messageId: message.messageId, frameLength: message.frameLength };
  const readFrames = async (run: FrameRun) => {
    // A closed preview or a cancelled download asks for nothing more.
    if (signal?.aborted) throw new TransferError('Aborted', 'Cancelled');
    return presigned(() => runner.decryptFrames({ url: link.info.dataUrl, run, keys, headers: link.storeHeaders }, signal));
  };
  return {
    link,
    layout,
    signal,
    plaintextSize: layout.plaintextSize,
    readFrames,
    read: (start, end) => readPlaintext(layout, readFrames, start, end),
    // The final frame is always read, so an empty file's is authenticated too.
    pieces: (rangeSize) => planRanges(layout.plaintextSize, layout.frameLength, layout.headerLength, rangeSize).map((run) => () => readFrames(run)),
    recycle: runner.recycle?.bind(runner),
  };
}

/**
 * Bytes [offset, offset + size) of an opened object as an object of their own (a set's member
 * inside its blob, docs/SETS.md): reads are cut from the blob's verified frames.
 */
export function dataWindow(data: DataObject, link: OpenedLink, offset: number, size: number): DataObject {
  const clamp = (n: number) => offset + Math.max(0, Math.min(n, size));
  const read = async (start: number, end: number) => new Uint8Array(await data.read(clamp(start), clamp(end)));
  return {
    link,
    layout: data.layout,
    signal: data.signal,
    plaintextSize: size,
    readFrames: data.readFrames,
    read,
    pieces: (rangeSize = DEFAULT_RANGE_SIZE) => {
      const step = Math.max(data.layout.frameLength, Math.floor(rangeSize / data.layout.frameLength) * data.layout.frameLength);
      return Array.from({ length: Math.ceil(size / step) }, (_, i) => () => read(i * step, (i + 1) * step));
    },
  };
}
