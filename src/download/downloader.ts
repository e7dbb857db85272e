/**
 * Opens a share link and downloads its file: meta first (name, size, and the data message ID),
 * then the data object in ranged GETs of whole frames, each authenticated in a worker before
 * its plaintext reaches the sink, in order. Any failure aborts the sink: no partial file is
 * ever presented as complete.
 */

import type { FileInfoResponse } from '../contract/api.ts';
import { FILE_ID_PATTERN, MAX_META_SIZE } from '../contract/limits.ts';
import { fromBase64Url, timingSafeEqual } from '../crypto/bytes.ts';
import { ContextMismatchError, TrailingDataError, TruncatedError } from '../crypto/errors.ts';
import { ciphertextSize, KiB, MAX_HEADER_LENGTH, parseCompleteHeader, parseHeader } from '../crypto/format.ts';
import type { FrameKeys } from '../crypto/frames.ts';
import { openMessage } from '../crypto/message.ts';
import { decodeLinkSecret, type FileMeta, objectContext, openMeta } from '../crypto/objects.ts';
import { keyNameOf, linkKey, type PasswordParams, parseKeyName } from '../crypto/password.ts';
import { customerKeyHeaders } from '../crypto/sse-c.ts';
import { TransferError } from '../errors.ts';
import { planRanges, type RangePlan } from '../layout.ts';
import type { Api } from '../transfer/api.ts';
import { expectStatus, readExactly, request } from '../transfer/http.ts';
import { orderedPool } from '../transfer/limit.ts';
import type { PartRunner } from '../transfer/parts.ts';
import { withRetries } from '../transfer/retry.ts';

/** Our headers are ~300 bytes; read this much first, and up to MAX_HEADER_LENGTH if needed. */
const FIRST_READ = 4 * KiB;
export const DEFAULT_RANGES_IN_FLIGHT = 4;

export interface Sink {
  write(chunk: Uint8Array<ArrayBuffer>): Promise<void>;
  close(): Promise<void>;
  abort(reason: unknown): Promise<void>;
}

export interface OpenedLink {
  id: string;
  /** SSE-C key headers every GET of this file's objects carries, when it has them */
  storeHeaders?: Record<string, string>;
  meta: FileMeta;
  info: FileInfoResponse;
  wrappingKey: CryptoKey;
  keyName: string;
}

const FILE_ID = new RegExp(FILE_ID_PATTERN);

/** Parses `/d/<id>` and `#<secret>`; BadLink when either is malformed. */
export function parseLink(pathname: string, hash: string): { id: string; secret: Uint8Array } {
  const id = /^\/d\/([^/]+)\/?$/.exec(pathname)?.[1] ?? '';
  const secret = decodeLinkSecret(hash.replace(/^#/, ''));
  if (!FILE_ID.test(id) || !secret) throw new TransferError('BadLink', 'This link is incomplete or damaged: check that it was copied whole');
  return { id, secret };
}

/** Bytes [start, end] (inclusive, as in HTTP) of a presigned object URL. */
export async function getRange(url: string, start: number, end: number, signal?: AbortSignal, headers?: Record<string, string>): Promise<Uint8Array> {
  const response = await request(url, { headers: { ...headers, Range: `bytes=${start}-${end}` }, signal });
  await expectStatus(response, [206], 'Download');
  return readExactly(response, end - start + 1);
}

/** The meta object's bytes and its header's key name (which says whether a password is needed). */
export interface LinkObjects {
  id: string;
  info: FileInfoResponse;
  metaBytes: Uint8Array;
  keyName: string;
  passwordParams: PasswordParams | null;
  storeHeaders?: Record<string, string>;
}

/**
 * Fetches the file info and the meta object; tells whether the link needs a password. The secret
 * is needed here only when the objects are SSE-C encrypted (their key derives from it).
 */
export async function fetchLink(api: Api, id: string, secret: Uint8Array, signal?: AbortSignal): Promise<LinkObjects> {
  const info = await api.fileInfo(id, signal);
  const storeHeaders = info.customerKey ? await customerKeyHeaders(secret) : undefined;
  const response = await request(info.metaUrl, { headers: storeHeaders, signal });
  await expectStatus(response, [200], 'Download of the file details');
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  if (!(length <= MAX_META_SIZE)) throw new TransferError('HttpStatus', 'The file details object is missing or too large', response.status);
  const metaBytes = await readExactly(response, length);
  const keyName = keyNameOf(parseCompleteHeader(metaBytes));
  return { id, info, metaBytes, keyName, passwordParams: parseKeyName(keyName), storeHeaders };
}

/** Derives the key (with the password, if the link has one) and decrypts the meta object. */
export async function unlockLink(objects: LinkObjects, secret: Uint8Array, password?: string): Promise<OpenedLink> {
  if (objects.passwordParams && password === undefined) throw new TransferError('PasswordRequired', 'This link is protected by a password');
  const { wrappingKey, keyName } = await linkKey(secret, password, objects.passwordParams);
  const meta = await openMeta(wrappingKey, objects.id, objects.metaBytes, keyName);
  return { id: objects.id, meta, info: objects.info, wrappingKey, keyName, storeHeaders: objects.storeHeaders };
}

export async function openLink(api: Api, id: string, secret: Uint8Array, password?: string, signal?: AbortSignal): Promise<OpenedLink> {
  return unlockLink(await fetchLink(api, id, secret, signal), secret, password);
}

export interface DownloadOptions {
  api: Api;
  runner: PartRunner;
  signal?: AbortSignal;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  rangesInFlight?: number;
  rangeSize?: number;
}

/** After a 403 (expired presigned URLs), fetch fresh ones into the link. */
export const refresher = (link: OpenedLink, api: Api, signal?: AbortSignal) => async () => {
  link.info = await api.fileInfo(link.id, signal);
};

export interface PreparedDownload {
  link: OpenedLink;
  ranges: RangePlan[];
  keys: FrameKeys;
}

/**
 * Reads and authenticates the data object's header and checks its size against the meta
 * object, before any download starts: a wrong key, a swapped or truncated object fails here.
 */
export async function prepareDownload(link: OpenedLink, options: Pick<DownloadOptions, 'api' | 'signal' | 'rangeSize'>): Promise<PreparedDownload> {
  const { signal } = options;
  const info = link.info;
  const refresh = refresher(link, options.api, signal);
  const headers = link.storeHeaders;
  const first = await withRetries(() => getRange(link.info.dataUrl, 0, Math.min(info.size, FIRST_READ) - 1, signal, headers), refresh, signal, {
    presigned: true,
  });
  let header = first.byteLength > 0 ? parseHeader(first) : null;
  if (!header && info.size > FIRST_READ)
    header = parseHeader(await getRange(link.info.dataUrl, 0, Math.min(info.size, MAX_HEADER_LENGTH) - 1, signal, headers));
  if (!header) throw new TruncatedError('The stored file ends inside its header');
  const opened = await openMessage(header, link.wrappingKey, objectContext(link.id, 'data'), link.keyName);
  const expectedId = fromBase64Url(link.meta.dataMessageId);
  if (!expectedId || !timingSafeEqual(expectedId, header.messageId)) throw new ContextMismatchError('The stored file does not belong to these file details');
  const expectedSize = ciphertextSize(link.meta.size, header.frameLength, header.length);
  if (info.size < expectedSize) throw new TruncatedError(`The stored file is ${expectedSize - info.size} bytes shorter than it should be`);
  if (info.size > expectedSize) throw new TrailingDataError(`The stored file has ${info.size - expectedSize} unexpected bytes at its end`);
  const ranges = planRanges(link.meta.size, header.frameLength, header.length, options.rangeSize);
  return { link, ranges, keys: { contentKey: opened.contentKey, messageId: opened.messageId, frameLength: opened.frameLength } };
}

/** Streams the prepared download into `sink`, in order; aborts the sink on any failure. */
export async function downloadTo(prepared: PreparedDownload, sink: Sink, options: DownloadOptions): Promise<void> {
  const { runner, signal } = options;
  const { link, ranges, keys } = prepared;
  const refresh = refresher(link, options.api, signal);
  try {
    let done = 0;
    options.onProgress?.(0, link.meta.size);
    await orderedPool(
      ranges.length,
      options.rangesInFlight ?? DEFAULT_RANGES_IN_FLIGHT,
      (i) =>
        withRetries(() => runner.decryptRange({ url: link.info.dataUrl, range: ranges[i], keys, headers: link.storeHeaders }, signal), refresh, signal, {
          presigned: true,
        }),
      async (plaintext) => {
        await sink.write(new Uint8Array(plaintext));
        done += plaintext.byteLength;
        options.onProgress?.(done, link.meta.size);
      },
      signal,
    );
    await sink.close();
  } catch (error) {
    await sink.abort(error).catch(() => undefined);
    throw error;
  }
}
