/**
 * Opens a share link and downloads its file: meta first (name, size, and the data message ID),
 * then the data object (data-object.ts) in ranged GETs of whole frames, each authenticated in a
 * worker before its plaintext reaches the sink, in order. Any failure aborts the sink: no partial
 * file is ever presented as complete.
 */

import type { FileInfoResponse } from '../contract/api.ts';
import { FILE_ID_PATTERN, MAX_META_SIZE } from '../contract/limits.ts';
import { type EncryptionContext, parseCompleteHeader } from '../crypto/format.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { decodeLinkSecret, type FileMeta, openMeta } from '../crypto/objects.ts';
import { keyNameOf, linkKey, type PasswordParams, parseKeyName } from '../crypto/password.ts';
import { customerKeyHeaders } from '../crypto/sse-c.ts';
import { LinkError, TransferError } from '../errors.ts';
import type { Api } from '../transfer/api.ts';
import { expectStatus, readExactly, request } from '../transfer/http.ts';
import { orderedPool } from '../transfer/ordered-pool.ts';
import type { DataObject, OpenDataOptions } from './data-object.ts';
import { pumpToSink, returnable } from './pump.ts';

export const DEFAULT_RANGES_IN_FLIGHT = 4;

export interface Sink {
  /**
   * True when the sink is done with a chunk's bytes once `write` has resolved: it copied or
   * consumed them and keeps no view. A download may then open later ranges into the same memory
   * (DataObject `recycle`). Absent or false: the sink may keep the chunk (a Blob, a transfer).
   */
  readonly releasesChunks?: boolean;
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
  /** opens both objects: the link's raw AES keyring, or a request inbox's raw RSA one */
  keyring: Keyring;
  /** a file sent to a request: its objects' encryption context names the request too */
  requestId?: string;
  /** the data object's encryption context where it is not a file's (a set's blob: docs/SETS.md) */
  dataContext?: EncryptionContext;
  /** how its data is opened where it is not a data object of its own (a set's member: a window of its blob) */
  openData?: (options: OpenDataOptions) => Promise<DataObject>;
  /** fresh presigned URLs (after a 403); a request's file asks the request's owner route, not `/api/files` */
  refreshInfo?: (signal?: AbortSignal) => Promise<FileInfoResponse>;
}

const FILE_ID = new RegExp(FILE_ID_PATTERN);

/** Parses `/d/<id>` and `#<secret>`; BadLink when either is malformed. */
export function parseLink(pathname: string, hash: string): { id: string; secret: Uint8Array } {
  const id = /^\/d\/([^/]+)\/?$/.exec(pathname)?.[1] ?? '';
  const secret = decodeLinkSecret(hash.replace(/^#/, ''));
  if (!FILE_ID.test(id) || !secret) throw new LinkError('BadLink', 'This link is incomplete or damaged: check that it was copied whole');
  return { id, secret };
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
  const metaBytes = await fetchMetaBytes(info, storeHeaders, signal);
  const keyName = keyNameOf(parseCompleteHeader(metaBytes));
  return { id, info, metaBytes, keyName, passwordParams: parseKeyName(keyName), storeHeaders };
}

/** The meta object's bytes, at most MAX_META_SIZE of them. */
export async function fetchMetaBytes(info: FileInfoResponse, storeHeaders?: Record<string, string>, signal?: AbortSignal): Promise<Uint8Array> {
  const response = await request(info.metaUrl, { headers: storeHeaders, signal });
  await expectStatus(response, [200], 'Download of the file details');
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  if (!(length <= MAX_META_SIZE)) throw new TransferError('HttpStatus', 'The file details object is missing or too large', response.status);
  return readExactly(response, length);
}

/** Derives the key (with the password, if the link has one) and decrypts the meta object. */
export async function unlockLink(objects: LinkObjects, secret: Uint8Array, password?: string): Promise<OpenedLink> {
  if (objects.passwordParams && password === undefined) throw new LinkError('PasswordRequired', 'This link is protected by a password');
  const keyring = await linkKey(secret, password, objects.passwordParams);
  const meta = await openMeta(keyring, objects.id, objects.metaBytes);
  return { id: objects.id, meta, info: objects.info, keyring, storeHeaders: objects.storeHeaders };
}

export async function openLink(api: Api, id: string, secret: Uint8Array, password?: string, signal?: AbortSignal): Promise<OpenedLink> {
  return unlockLink(await fetchLink(api, id, secret, signal), secret, password);
}

export interface DownloadOptions {
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  rangesInFlight?: number;
  rangeSize?: number;
}

/**
 * Streams the whole data object into `sink`, in order, under the signal it was opened with; aborts
 * the sink on any failure.
 */
export async function downloadTo(data: DataObject, sink: Sink, options: DownloadOptions = {}): Promise<void> {
  const size = data.plaintextSize;
  // Each piece is a buffer of its own (the runner's), held by no one once a releasing sink has written it.
  const recycle = data.recycle;
  await pumpToSink(
    (write) => {
      const pieces = data.pieces(options.rangeSize);
      options.onProgress?.(0, size);
      const piece = recycle ? (i: number) => pieces[i]().then((p) => returnable(p, () => recycle(p))) : (i: number) => pieces[i]();
      return orderedPool(pieces.length, options.rangesInFlight ?? DEFAULT_RANGES_IN_FLIGHT, piece, write, data.signal);
    },
    sink,
    { onWritten: (_, done) => options.onProgress?.(done, size) },
  );
}
