/**
 * Cipherdrop's two objects per file, both ESDK messages under the link's wrapping key:
 * `data` (the file) and `meta` (name, type, size, last-modified, and the data message ID).
 * The encryption context — stored in plaintext — holds only the file id and the object role,
 * so the server cannot swap one file's objects for another's, and learns nothing it lacks.
 */
import { MAX_META_SIZE } from '../contract/limits.ts';
import { fromBase64Url, fromUtf8, randomBytes, toBase64Url, utf8 } from './bytes.ts';
import { CorruptedError } from './errors.ts';
import { DATA_KEY_LENGTH, type EncryptionContext } from './format.ts';
import { decryptBytes, encryptBytes } from './message.ts';

export type ObjectRole = 'data' | 'meta';

export const CONTEXT_ID = 'cipherdrop:id';
export const CONTEXT_OBJECT = 'cipherdrop:object';

export const objectContext = (id: string, role: ObjectRole): EncryptionContext => ({ [CONTEXT_ID]: id, [CONTEXT_OBJECT]: role });

export interface FileMeta {
  name: string;
  type: string;
  size: number;
  lastModified: number;
  /** base64url message ID of the data object, checked against the data header on download. */
  dataMessageId: string;
}

const META_VERSION = 1;

export async function sealMeta(wrappingKey: CryptoKey, id: string, meta: FileMeta, keyName?: string): Promise<Uint8Array<ArrayBuffer>> {
  const json = utf8(JSON.stringify({ v: META_VERSION, ...meta }));
  return (await encryptBytes(wrappingKey, json, { context: objectContext(id, 'meta'), keyName })) as Uint8Array<ArrayBuffer>;
}

function invalid(detail: string): CorruptedError {
  return new CorruptedError({ field: 'meta' }, detail);
}

export async function openMeta(wrappingKey: CryptoKey, id: string, message: Uint8Array, keyName?: string): Promise<FileMeta> {
  if (message.byteLength > MAX_META_SIZE) throw invalid('the meta object is too large');
  const plain = await decryptBytes(wrappingKey, message, { context: objectContext(id, 'meta'), keyName });
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
    fromBase64Url(m.dataMessageId) !== null;
  if (!ok) throw invalid('missing or malformed fields');
  return {
    name: m.name as string,
    type: m.type as string,
    size: m.size as number,
    lastModified: m.lastModified as number,
    dataMessageId: m.dataMessageId as string,
  };
}

/** A link secret: 256 random bits, carried base64url in the URL fragment. */
export const newLinkSecret = (): Uint8Array => randomBytes(DATA_KEY_LENGTH);
export const encodeLinkSecret = (secret: Uint8Array): string => toBase64Url(secret);

export function decodeLinkSecret(text: string): Uint8Array | null {
  const bytes = fromBase64Url(text);
  return bytes && bytes.byteLength === DATA_KEY_LENGTH ? bytes : null;
}
