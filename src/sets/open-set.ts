/**
 * Opening a set link `/s/<id>#<secret>` (docs/SETS.md): the set's info (presigned GETs of the
 * manifest and every blob), the manifest decrypted and checked against the store's listing, and
 * each blob as a link the download engine opens (its header checked against the manifest: context,
 * message id, size) before any of its plaintext is read.
 */
import type { FileInfoResponse } from '../contract/api.ts';
import { FILE_ID_PATTERN } from '../contract/limits.ts';
import type { SetInfoResponse } from '../contract/sets.ts';
import { parseCompleteHeader } from '../crypto/format.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { decodeLinkSecret } from '../crypto/objects.ts';
import { keyNameOf, linkKey, type PasswordParams, parseKeyName } from '../crypto/password.ts';
import { blobContext, type FileEntry, MAX_MANIFEST_SIZE, matchListing, openManifest, type SetManifest } from '../crypto/set-manifest.ts';
import { customerKeyHeaders } from '../crypto/sse-c.ts';
import { dataWindow, openDataObject } from '../download/data-object.ts';
import type { OpenedLink } from '../download/downloader.ts';
import { LinkError, TransferError } from '../errors.ts';
import type { Api } from '../transfer/api.ts';
import { expectStatus, readExactly, request } from '../transfer/http.ts';

const SET_ID = new RegExp(FILE_ID_PATTERN);

/** Parses `/s/<id>` and `#<secret>`; BadLink when either is malformed. */
export function parseSetLink(pathname: string, hash: string): { id: string; secret: Uint8Array } {
  const id = /^\/s\/([^/]+)\/?$/.exec(pathname)?.[1] ?? '';
  const secret = decodeLinkSecret(hash.replace(/^#/, ''));
  if (!SET_ID.test(id) || !secret) throw new LinkError('BadLink', 'This link is incomplete or damaged: check that it was copied whole');
  return { id, secret };
}

export interface SetObjects {
  id: string;
  info: SetInfoResponse;
  manifestBytes: Uint8Array;
  passwordParams: PasswordParams | null;
  storeHeaders?: Record<string, string>;
}

export interface OpenedSet {
  id: string;
  info: SetInfoResponse;
  manifest: SetManifest;
  keyring: Keyring;
  storeHeaders?: Record<string, string>;
  /** `listed[i]`: where manifest blob i is in `info.blobs` */
  listed: number[];
}

export type SetApi = Pick<Api, 'setInfo'>;

export async function fetchSet(api: SetApi, id: string, secret: Uint8Array, signal?: AbortSignal): Promise<SetObjects> {
  const info = await api.setInfo(id, signal);
  const storeHeaders = info.customerKey ? await customerKeyHeaders(secret) : undefined;
  if (!(info.manifest.size <= MAX_MANIFEST_SIZE)) throw new TransferError('HttpStatus', 'The set manifest is too large');
  const response = await request(info.manifest.url, { headers: storeHeaders, signal });
  await expectStatus(response, [200], 'Download of the file list');
  const manifestBytes = await readExactly(response, info.manifest.size);
  return { id, info, manifestBytes, passwordParams: parseKeyName(keyNameOf(parseCompleteHeader(manifestBytes))), storeHeaders };
}

/** Decrypts the manifest (the password, if the set has one) and holds the store's listing to it. */
export async function unlockSet(objects: SetObjects, secret: Uint8Array, password?: string): Promise<OpenedSet> {
  if (objects.passwordParams && password === undefined) throw new LinkError('PasswordRequired', 'This link is protected by a password');
  const keyring = await linkKey(secret, password, objects.passwordParams);
  const manifest = await openManifest(keyring, objects.id, objects.manifestBytes);
  const listed = matchListing(manifest, objects.info.blobs);
  return { id: objects.id, info: objects.info, manifest, keyring, storeHeaders: objects.storeHeaders, listed };
}

/** Blob `index` of the manifest as a link the download engine opens; a 403 fetches fresh URLs for it. */
export function blobLink(api: SetApi, set: OpenedSet, index: number): OpenedLink {
  const blob = set.manifest.blobs[index];
  const infoOf = (info: SetInfoResponse): FileInfoResponse => {
    const stored = info.blobs.find((b) => b.id === blob.id);
    if (!stored) throw new TransferError('NotFound', `The store no longer holds part ${index + 1} of this set`, 404);
    return { size: stored.size, expiresAt: info.expiresAt, dataUrl: stored.url, metaUrl: '', customerKey: info.customerKey, expiresIn: info.expiresIn };
  };
  return {
    id: blob.id,
    meta: { name: blob.id, type: 'application/octet-stream', size: blob.size, lastModified: 0, dataMessageId: blob.messageId },
    info: infoOf(set.info),
    keyring: set.keyring,
    storeHeaders: set.storeHeaders,
    dataContext: blobContext(set.id, blob.id),
    refreshInfo: async (signal) => infoOf(await api.setInfo(set.id, signal)),
  };
}

/** The last segment of a manifest path: what a member is called on its own. */
export const leafName = (path: string): string => path.replace(/\/+$/, '').split('/').at(-1) ?? path;

/**
 * File entry `index` as a link of its own: the download view, previews and media streaming open it
 * like a shared file, reading the window of its blob (data-object.ts dataWindow).
 */
export function memberLink(api: SetApi, set: OpenedSet, index: number): OpenedLink {
  const entry = set.manifest.entries[index];
  if (!entry || entry.dir) throw new RangeError(`entry ${index} is not a file`);
  const file: FileEntry = entry;
  const blob = blobLink(api, set, file.blob);
  const link: OpenedLink = {
    ...blob,
    meta: { name: leafName(file.path), type: file.type, size: file.size, lastModified: file.modified, dataMessageId: blob.meta.dataMessageId },
    openData: async (options) => dataWindow(await openDataObject(blob, options), link, file.offset, file.size),
  };
  return link;
}
