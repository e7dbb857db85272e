/**
 * A set (many files behind one link, docs/SETS.md): its blobs and its manifest, both ESDK messages
 * under the link's keyring. The manifest is UTF-8 JSON
 *
 *   { "v": 1,
 *     "blobs":   [ { "id", "messageId", "size" } ],                     size = the blob's plaintext bytes
 *     "entries": [ { "path", "size", "type", "modified", "blob", "offset" }   a file: blob bytes [offset, offset + size)
 *                | { "path", "dir": true [, "modified"] } ] }              an empty folder, path ending in "/"
 *
 * and every blob's file entries tile its plaintext exactly, in manifest order: so once the manifest
 * is authenticated, a blob's header (its message ID, its context naming this set and blob) and its
 * length pin every byte of every member. Paths are the uploader's, kept raw: whoever writes them
 * somewhere sanitises for that place (safeTree in src/names.ts).
 */
import { FILE_ID_PATTERN, MAX_SET_BLOBS, MAX_SET_MANIFEST_SIZE } from '../contract/limits.ts';
import { type MessageLayout, messageLayout } from '../layout.ts';
import { fromBase64Url, fromUtf8, timingSafeEqual, utf8 } from './bytes.ts';
import { ContextMismatchError, CorruptedError, TrailingDataError, TruncatedError } from './errors.ts';
import { ciphertextSize, type EncryptionContext, MESSAGE_ID_LENGTH, type MessageHeader } from './format.ts';
import type { Keyring } from './keyring.ts';
import { decryptBytes, encryptBytes } from './message.ts';
import { CONTEXT_OBJECT } from './objects.ts';

export const CONTEXT_SET = 'cipherdrop:set';
export const CONTEXT_BLOB = 'cipherdrop:blob';
export const MANIFEST_VERSION = 1;
/** Entries (files and folders) in one set: a large photo library, and a manifest still opened whole in a page. */
export const MAX_SET_ENTRIES = 100_000;
/** The sealed manifest, which is read and parsed whole: ~160 bytes an entry at the most entries (the contract's limit). */
export const MAX_MANIFEST_SIZE = MAX_SET_MANIFEST_SIZE;
/** A raw path: Linux's PATH_MAX. Writers cut further for where they write (names.ts MAX_PATH_BYTES). */
export const MAX_ENTRY_PATH_BYTES = 4096;
/** A media type: RFC 6838 allows 127 + "/" + 127. */
export const MAX_ENTRY_TYPE_LENGTH = 255;

export const manifestContext = (setId: string): EncryptionContext => ({ [CONTEXT_SET]: setId, [CONTEXT_OBJECT]: 'manifest' });
export const blobContext = (setId: string, blobId: string): EncryptionContext => ({
  [CONTEXT_SET]: setId,
  [CONTEXT_OBJECT]: 'blob',
  [CONTEXT_BLOB]: blobId,
});

export interface ManifestBlob {
  /** the blob's upload id (server-made, like a file id) */
  id: string;
  /** base64url of the blob message's ID (32 bytes) */
  messageId: string;
  /** plaintext bytes */
  size: number;
}

export interface FileEntry {
  dir?: undefined;
  path: string;
  size: number;
  type: string;
  /** milliseconds since 1970, an integer */
  modified: number;
  /** index into `blobs` */
  blob: number;
  offset: number;
}

export interface DirEntry {
  dir: true;
  /** ends with "/" */
  path: string;
  modified?: number;
}

export type ManifestEntry = FileEntry | DirEntry;

export interface SetManifest {
  blobs: ManifestBlob[];
  entries: ManifestEntry[];
}

export interface MemberRange {
  blob: number;
  start: number;
  end: number;
}

const BLOB_ID = new RegExp(FILE_ID_PATTERN);
const LONE_SURROGATE = /\p{Cs}/u;

type Json = Record<string, unknown>;

const bad = (field: string, detail: string) => new CorruptedError({ field: `manifest${field}` }, detail);

function object(value: unknown, field: string, required: readonly string[], optional: readonly string[] = []): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(field, 'not an object');
  const record = value as Json;
  for (const key of required) if (!(key in record)) throw bad(field, `"${key}" is missing`);
  for (const key of Object.keys(record)) if (!required.includes(key) && !optional.includes(key)) throw bad(field, `unknown field "${key}"`);
  return record;
}

function count(value: unknown, field: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw bad(field, 'not a whole number ≥ 0');
  return value as number;
}

function time(value: unknown, field: string): number {
  if (!Number.isSafeInteger(value)) throw bad(field, 'not a whole number of milliseconds');
  return value as number;
}

function text(value: unknown, field: string, maxBytes: number): string {
  if (typeof value !== 'string' || LONE_SURROGATE.test(value) || utf8(value).byteLength > maxBytes) throw bad(field, `not text of at most ${maxBytes} bytes`);
  return value;
}

function parseBlob(value: unknown, i: number): ManifestBlob {
  const field = `.blobs[${i}]`;
  const b = object(value, field, ['id', 'messageId', 'size']);
  if (typeof b.id !== 'string' || !BLOB_ID.test(b.id)) throw bad(`${field}.id`, 'not a blob id');
  const id = typeof b.messageId === 'string' ? fromBase64Url(b.messageId) : null;
  if (id?.byteLength !== MESSAGE_ID_LENGTH) throw bad(`${field}.messageId`, 'not a base64url message ID');
  return { id: b.id, messageId: b.messageId as string, size: count(b.size, `${field}.size`) };
}

function parseEntry(value: unknown, i: number, blobCount: number): ManifestEntry {
  const field = `.entries[${i}]`;
  const isDir = typeof value === 'object' && value !== null && 'dir' in value;
  if (isDir) {
    const d = object(value, field, ['path', 'dir'], ['modified']);
    const path = text(d.path, `${field}.path`, MAX_ENTRY_PATH_BYTES);
    if (d.dir !== true) throw bad(`${field}.dir`, 'not true');
    if (path.length < 2 || !path.endsWith('/')) throw bad(`${field}.path`, 'a folder path is a name ending in "/"');
    return d.modified === undefined ? { dir: true, path } : { dir: true, path, modified: time(d.modified, `${field}.modified`) };
  }
  const f = object(value, field, ['path', 'size', 'type', 'modified', 'blob', 'offset']);
  const path = text(f.path, `${field}.path`, MAX_ENTRY_PATH_BYTES);
  if (path === '' || path.endsWith('/')) throw bad(`${field}.path`, 'a file path is a name not ending in "/"');
  const blob = count(f.blob, `${field}.blob`);
  if (blob >= blobCount) throw bad(`${field}.blob`, `there are ${blobCount} blobs`);
  return {
    path,
    size: count(f.size, `${field}.size`),
    type: text(f.type, `${field}.type`, MAX_ENTRY_TYPE_LENGTH),
    modified: time(f.modified, `${field}.modified`),
    blob,
    offset: count(f.offset, `${field}.offset`),
  };
}

/** Every blob's file entries cover its plaintext exactly, in order; every blob holds a file. */
function checkTiling(blobs: readonly ManifestBlob[], entries: readonly ManifestEntry[]): void {
  const next = new Array<number>(blobs.length).fill(0);
  const used = new Array<boolean>(blobs.length).fill(false);
  entries.forEach((e, i) => {
    if (e.dir) return;
    if (e.offset !== next[e.blob]) throw bad(`.entries[${i}].offset`, `blob ${e.blob}'s next file starts at ${next[e.blob]}, not ${e.offset}`);
    next[e.blob] += e.size;
    used[e.blob] = true;
    if (next[e.blob] > blobs[e.blob].size) throw bad(`.entries[${i}].size`, `the file runs past the end of blob ${e.blob}`);
  });
  blobs.forEach((b, i) => {
    if (!used[i]) throw bad(`.blobs[${i}]`, 'no file is in this blob');
    if (next[i] !== b.size) throw bad(`.blobs[${i}].size`, `its files cover ${next[i]} of its ${b.size} bytes`);
  });
}

function validate(value: unknown): SetManifest {
  const m = object(value, '', ['v', 'blobs', 'entries']);
  if (m.v !== MANIFEST_VERSION) throw bad('.v', `not version ${MANIFEST_VERSION}`);
  if (!Array.isArray(m.blobs) || m.blobs.length > MAX_SET_BLOBS) throw bad('.blobs', `not a list of at most ${MAX_SET_BLOBS}`);
  if (!Array.isArray(m.entries) || m.entries.length === 0 || m.entries.length > MAX_SET_ENTRIES) {
    throw bad('.entries', `not a list of 1 to ${MAX_SET_ENTRIES}`);
  }
  const blobs = m.blobs.map(parseBlob);
  const ids = new Set<string>();
  const messageIds = new Set<string>();
  blobs.forEach((b, i) => {
    if (ids.has(b.id)) throw bad(`.blobs[${i}].id`, 'named twice');
    if (messageIds.has(b.messageId)) throw bad(`.blobs[${i}].messageId`, 'named twice');
    ids.add(b.id);
    messageIds.add(b.messageId);
  });
  const entries = m.entries.map((e, i) => parseEntry(e, i, blobs.length));
  const paths = new Set<string>();
  entries.forEach((e, i) => {
    if (paths.has(e.path)) throw bad(`.entries[${i}].path`, 'named twice');
    paths.add(e.path);
  });
  checkTiling(blobs, entries);
  return { blobs, entries };
}

/** Key order fixed, and nothing but the format's fields: a caller's extra properties never reach the JSON. */
function canonical(manifest: SetManifest): Json {
  return {
    v: MANIFEST_VERSION,
    blobs: manifest.blobs.map(({ id, messageId, size }) => ({ id, messageId, size })),
    entries: manifest.entries.map((e) =>
      e.dir
        ? e.modified === undefined
          ? { path: e.path, dir: true }
          : { path: e.path, dir: true, modified: e.modified }
        : { path: e.path, size: e.size, type: e.type, modified: e.modified, blob: e.blob, offset: e.offset },
    ),
  };
}

/** The manifest's JSON bytes; TypeError naming the field when the manifest breaks a rule above. */
export function encodeManifest(manifest: SetManifest): Uint8Array {
  const json = canonical(manifest);
  try {
    validate(json);
  } catch (error) {
    throw error instanceof CorruptedError ? new TypeError(error.message) : error;
  }
  return utf8(JSON.stringify(json));
}

/** The manifest in `bytes`, checked field by field; CorruptedError naming the field otherwise. */
export function decodeManifest(bytes: Uint8Array): SetManifest {
  if (bytes.byteLength > MAX_MANIFEST_SIZE) throw bad('', `larger than ${MAX_MANIFEST_SIZE} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes));
  } catch {
    throw bad('', 'not UTF-8 JSON');
  }
  return validate(value);
}

export async function sealManifest(keyring: Keyring, setId: string, manifest: SetManifest): Promise<Uint8Array<ArrayBuffer>> {
  const sealed = await encryptBytes(keyring, encodeManifest(manifest), { context: manifestContext(setId) });
  if (sealed.byteLength > MAX_MANIFEST_SIZE) throw new RangeError(`the manifest is ${sealed.byteLength} bytes sealed, over ${MAX_MANIFEST_SIZE}`);
  return sealed as Uint8Array<ArrayBuffer>;
}

/** Opens set `setId`'s manifest: ContextMismatchError for another set's (or a blob), CorruptedError for a bad one. */
export async function openManifest(keyring: Keyring, setId: string, message: Uint8Array): Promise<SetManifest> {
  if (message.byteLength > MAX_MANIFEST_SIZE) throw bad('', `the object is larger than ${MAX_MANIFEST_SIZE} bytes`);
  return decodeManifest(await decryptBytes(keyring, message, { context: manifestContext(setId) }));
}

/** Where file entry `index` lies: bytes [start, end) of blob `blob`'s plaintext. */
export function memberRange(manifest: SetManifest, index: number): MemberRange {
  const entry = manifest.entries[index];
  if (!entry || entry.dir) throw new RangeError(`entry ${index} is not a file`);
  return { blob: entry.blob, start: entry.offset, end: entry.offset + entry.size };
}

/**
 * Checks a stored blob against the manifest, once its header is opened under
 * `blobContext(setId, blob.id)` (which refuses another set's or another blob's): its message ID must
 * be the manifest's (else it is another upload of this blob) and its length must hold exactly the
 * manifest's plaintext size. Returns where its frames lie.
 */
export function checkBlob(manifest: SetManifest, index: number, header: MessageHeader, objectSize: number): MessageLayout {
  const blob = manifest.blobs[index];
  if (!blob) throw new RangeError(`there is no blob ${index}`);
  const expectedId = fromBase64Url(blob.messageId);
  if (!expectedId || !timingSafeEqual(expectedId, header.messageId)) {
    throw new ContextMismatchError(`Blob ${index} (${blob.id}) is not the one this set's manifest names (another upload)`);
  }
  const expected = ciphertextSize(blob.size, header.frameLength, header.length);
  if (objectSize < expected) throw new TruncatedError(`Blob ${index} (${blob.id}) is ${expected - objectSize} bytes shorter than it should be`);
  if (objectSize > expected) throw new TrailingDataError(`Blob ${index} (${blob.id}) has ${objectSize - expected} unexpected bytes at its end`);
  return messageLayout(blob.size, header.frameLength, header.length);
}

/**
 * The store's list of a set's blobs against the manifest: for each manifest blob, its position in
 * `listed`. A blob the store lacks (dropped) or one the manifest does not name (added) is
 * CorruptedError naming it.
 */
export function matchListing(manifest: SetManifest, listed: readonly { id: string }[]): number[] {
  const at = new Map(listed.map((b, i) => [b.id, i]));
  if (at.size !== listed.length) throw new CorruptedError({ field: 'set.blobs' }, 'the store lists a blob twice');
  const order = manifest.blobs.map((b, i) => {
    const position = at.get(b.id);
    if (position === undefined) throw new CorruptedError({ field: `set.blobs[${i}]` }, `the store does not hold blob ${i} (${b.id}) of the manifest`);
    return position;
  });
  if (listed.length > manifest.blobs.length) {
    const named = new Set(manifest.blobs.map((b) => b.id));
    const extra = listed.find((b) => !named.has(b.id));
    throw new CorruptedError({ field: 'set.blobs' }, `the store holds a blob the manifest does not name (${extra?.id})`);
  }
  return order;
}
