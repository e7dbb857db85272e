/**
 * Cipherdrop's two objects per file, both ESDK messages under one keyring (the link's raw AES
 * keyring, or a file request's raw RSA one): `data` (the file) and `meta` (name, type, size,
 * last-modified, the data message ID, and a request sender's message). The encryption context —
 * stored in plaintext — holds only the file id, the object role and, for a file sent to a
 * request, the request id, so the server cannot swap one file's objects for another's, and learns
 * nothing it lacks.
 */
import { MAX_META_SIZE, MAX_REQUEST_MESSAGE_LENGTH } from '../contract/limits.ts';
import { fromBase64Url, fromUtf8, randomBytes, toBase64Url, utf8 } from './bytes.ts';
import { CorruptedError } from './errors.ts';
import { DATA_KEY_LENGTH, type EncryptionContext } from './format.ts';
import type { Keyring } from './keyring.ts';
import { decryptBytes, encryptBytes } from './message.ts';

export type ObjectRole = 'data' | 'meta';

export const CONTEXT_ID = 'cipherdrop:id';
export const CONTEXT_OBJECT = 'cipherdrop:object';
export const CONTEXT_REQUEST = 'cipherdrop:request';

/** A shared file's context; a file sent to a request also names the request (`requestId`). */
export const objectContext = (id: string, role: ObjectRole, requestId?: string): EncryptionContext =>
  requestId === undefined ? { [CONTEXT_ID]: id, [CONTEXT_OBJECT]: role } : { [CONTEXT_ID]: id, [CONTEXT_OBJECT]: role, [CONTEXT_REQUEST]: requestId };

export interface FileMeta {
  name: string;
  type: string;
  size: number;
  lastModified: number;
  /** base64url message ID of the data object, checked against the data header on download. */
  dataMessageId: string;
  /** what a request's sender wrote to the requester (at most MAX_REQUEST_MESSAGE_LENGTH); absent for share links */
  message?: string;
}

const META_VERSION = 1;

const validMessage = (message: unknown): boolean => message === undefined || (typeof message === 'string' && message.length <= MAX_REQUEST_MESSAGE_LENGTH);

/** The meta object of file `id` (sent to request `requestId`, if given). */
export async function sealMeta(keyring: Keyring, id: string, meta: FileMeta, requestId?: string): Promise<Uint8Array<ArrayBuffer>> {
  if (!validMessage(meta.message)) throw new RangeError(`a message is at most ${MAX_REQUEST_MESSAGE_LENGTH} characters`);
  const json = utf8(JSON.stringify({ v: META_VERSION, ...meta }));
  return (await encryptBytes(keyring, json, { context: objectContext(id, 'meta', requestId) })) as Uint8Array<ArrayBuffer>;
}

function invalid(detail: string): CorruptedError {
  return new CorruptedError({ field: 'meta' }, detail);
}

export async function openMeta(keyring: Keyring, id: string, message: Uint8Array, requestId?: string): Promise<FileMeta> {
  if (message.byteLength > MAX_META_SIZE) throw invalid('the meta object is too large');
  const plain = await decryptBytes(keyring, message, { context: objectContext(id, 'meta', requestId) });
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(plain));
  } catch {
    throw invalid('not JSON');
  }
  const m = value as Record<string, unknown>;
  const ok =
    typeof m === 'object' &&
    m !== null &&
    m.v === META_VERSION &&
    typeof m.name === 'string' &&
    typeof m.type === 'string' &&
    Number.isSafeInteger(m.size) &&
    (m.size as number) >= 0 &&
    typeof m.lastModified === 'number' &&
    typeof m.dataMessageId === 'string' &&
    fromBase64Url(m.dataMessageId) !== null &&
    validMessage(m.message);
  if (!ok) throw invalid('missing or malformed fields');
  const meta: FileMeta = {
    name: m.name as string,
    type: m.type as string,
    size: m.size as number,
    lastModified: m.lastModified as number,
    dataMessageId: m.dataMessageId as string,
  };
  if (m.message !== undefined) meta.message = m.message as string;
  return meta;
}

/** A link secret: 256 random bits, carried base64url in the URL fragment. */
export const newLinkSecret = (): Uint8Array => randomBytes(DATA_KEY_LENGTH);
export const encodeLinkSecret = (secret: Uint8Array): string => toBase64Url(secret);

export function decodeLinkSecret(text: string): Uint8Array | null {
  const bytes = fromBase64Url(text);
  return bytes && bytes.byteLength === DATA_KEY_LENGTH ? bytes : null;
}
