/**
 * Framing of AWS Encryption SDK message format v2 — byte layout only, no cryptography.
 * The cipher operations live in cipher.ts; the prose spec is docs/FORMAT.md.
 *
 * Message = header || header auth tag || body. All integers are big-endian.
 *
 *   header:  version(1)=0x02 || suite(2)=0x0478 || messageId(32)
 *            || aadLength(2) || [pairCount(2) || (keyLen(2) key valueLen(2) value)*]   (pairs sorted by key bytes;
 *                                                                                  aadLength 0 and no count when empty)
 *            || edkCount(2) || (providerIdLen(2) providerId providerInfoLen(2) providerInfo edkLen(2) edk)*
 *            || contentType(1)=0x02 (framed) || frameLength(4) || commitment(32)
 *   auth:    tag(16) = AES-GCM(derivedKey, iv = 0^12, aad = header, plaintext = empty)
 *   body:    regular frame*  || final frame
 *   regular: seq(4) || iv(12) || ciphertext(frameLength) || tag(16)
 *   final:   0xFFFFFFFF(4) || seq(4) || iv(12) || length(4) || ciphertext(length) || tag(16)
 *
 * Sequence numbers start at 1; a frame's IV is 0^8 || seq(4). A plaintext of n bytes is
 * floor(n / F) regular frames and a final frame of n mod F bytes (possibly empty) — the same
 * split as @aws-crypto/client-node, so the ciphertext size is a pure function of n and F.
 */
import { concatBytes, fromUtf8, uint16, uint32, utf8 } from './bytes.ts';
import { CorruptedError, TruncatedError, UnsupportedSuiteError, UnsupportedVersionError } from './errors.ts';

export const KiB = 1024;
export const MiB = 1024 * KiB;

export const MESSAGE_VERSION = 0x02;
/** AES-256-GCM, HKDF-SHA512, key commitment, no signature. The only suite we read or write. */
export const SUITE_ID = 0x0478;
export const CONTENT_TYPE_FRAMED = 0x02;
export const MESSAGE_ID_LENGTH = 32;
export const DATA_KEY_LENGTH = 32;
export const COMMITMENT_LENGTH = 32;
export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;
export const SEQUENCE_NUMBER_END = 0xffffffff;
export const MAX_SEQUENCE_NUMBER = 0xfffffffe;
/** seq + iv + tag */
export const REGULAR_FRAME_OVERHEAD = 4 + IV_LENGTH + TAG_LENGTH;
/** end marker + seq + iv + length + tag */
export const FINAL_FRAME_OVERHEAD = 4 + 4 + IV_LENGTH + 4 + TAG_LENGTH;

/**
 * Our default frame length. Chromium's crypto.subtle costs ~1 CPU-s/GiB for pieces up to
 * ~900 KiB and ~3× that above (fresh buffer mappings per call); 512 KiB keeps well inside
 * the fast range while halving per-call overhead against 256 KiB. See README "Sizes".
 */
export const DEFAULT_FRAME_LENGTH = 512 * KiB;
/** Writers must stay below the size where Chromium's per-call cost jumps. */
export const MAX_WRITE_FRAME_LENGTH = 896 * KiB - 16;
/** Readers accept other writers' frames up to this size; larger frames would defeat constant memory. */
export const MAX_READ_FRAME_LENGTH = 64 * MiB;
/** Upper bound on a header we are willing to buffer (ours are ~300 bytes). */
export const MAX_HEADER_LENGTH = 64 * KiB;
export const MAX_ENCRYPTED_DATA_KEYS = 16;

export const BODY_AAD_REGULAR = utf8('AWSKMSEncryptionClient Frame');
export const BODY_AAD_FINAL = utf8('AWSKMSEncryptionClient Final Frame');

/** Raw keyring identity: the provider ID, and the key names (the raw AES provider info's prefix, the raw RSA one's whole). */
export const KEY_NAMESPACE = 'cipherdrop';
/** share links: raw AES */
export const KEY_NAME = 'link-v1';
/** file requests: raw RSA (docs/REQUESTS.md) */
export const REQUEST_KEY_NAME = 'request-v1';

export type EncryptionContext = Readonly<Record<string, string>>;

export interface EncryptedDataKey {
  providerId: string;
  providerInfo: Uint8Array;
  encryptedDataKey: Uint8Array;
}

/** The byte lengths of an encrypted data key entry, known from the keyring alone (keyring.ts). */
export interface EdkShape {
  providerId: string;
  providerInfoLength: number;
  encryptedKeyLength: number;
}

export interface MessageHeader {
  messageId: Uint8Array;
  context: EncryptionContext;
  encryptedDataKeys: EncryptedDataKey[];
  frameLength: number;
  commitment: Uint8Array;
  /** The serialized header without the auth tag: the AAD of the header auth tag. */
  headerBytes: Uint8Array;
  authTag: Uint8Array;
  /** headerBytes + auth tag: where the body starts. */
  length: number;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.byteLength - b.byteLength;
}

/** count || pairs, sorted by UTF-8 key bytes; empty for an empty context. Also the raw keyring's AAD. */
export function serializeContextPairs(context: EncryptionContext): Uint8Array {
  const pairs = Object.entries(context)
    .map(([k, v]) => [utf8(k), utf8(v)] as const)
    .sort(([a], [b]) => compareBytes(a, b));
  if (pairs.length === 0) return new Uint8Array(0);
  return concatBytes(uint16(pairs.length), ...pairs.flatMap(([k, v]) => [uint16(k.byteLength), k, uint16(v.byteLength), v]));
}

export function serializeHeader(h: Omit<MessageHeader, 'headerBytes' | 'authTag' | 'length'>): Uint8Array {
  const aad = serializeContextPairs(h.context);
  return concatBytes(
    new Uint8Array([MESSAGE_VERSION]),
    uint16(SUITE_ID),
    h.messageId,
    uint16(aad.byteLength),
    aad,
    uint16(h.encryptedDataKeys.length),
    ...h.encryptedDataKeys.flatMap((edk) => {
      const id = utf8(edk.providerId);
      return [uint16(id.byteLength), id, uint16(edk.providerInfo.byteLength), edk.providerInfo, uint16(edk.encryptedDataKey.byteLength), edk.encryptedDataKey];
    }),
    new Uint8Array([CONTENT_TYPE_FRAMED]),
    uint32(h.frameLength),
    h.commitment,
  );
}

/** Thrown inside the parser when the buffer ends early; parseHeader turns it into `null`. */
class NeedMore {}

class Reader {
  offset = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): void {
    if (this.offset + n > this.bytes.byteLength) throw new NeedMore();
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.offset++);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }
  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

const corrupt = (field: string, detail: string) => new CorruptedError({ field }, detail);

function text(bytes: Uint8Array, field: string): string {
  try {
    return fromUtf8(bytes);
  } catch {
    throw corrupt(field, 'not valid UTF-8');
  }
}

function parseContext(r: Reader, aadLength: number): EncryptionContext {
  if (aadLength === 0) return {};
  const start = r.offset;
  const count = r.u16();
  if (count === 0) throw corrupt('encryptionContext', 'a present context must have at least one pair');
  const context: Record<string, string> = Object.create(null);
  for (let i = 0; i < count; i++) {
    const key = text(r.take(r.u16()), 'encryptionContext');
    const value = text(r.take(r.u16()), 'encryptionContext');
    if (key in context) throw corrupt('encryptionContext', `duplicate key ${JSON.stringify(key)}`);
    context[key] = value;
  }
  if (r.offset - start !== aadLength) throw corrupt('aadLength', 'does not match the encryption context');
  return context;
}

function parseHeaderFields(bytes: Uint8Array): MessageHeader {
  const r = new Reader(bytes);
  const version = r.u8();
  if (version !== MESSAGE_VERSION) throw new UnsupportedVersionError(`Message format version ${version} is not supported (only version 2)`);
  const suite = r.u16();
  if (suite !== SUITE_ID) {
    throw new UnsupportedSuiteError(`Algorithm suite 0x${suite.toString(16).padStart(4, '0')} is not supported (only 0x0478)`);
  }
  const messageId = r.take(MESSAGE_ID_LENGTH);
  const context = parseContext(r, r.u16());
  const edkCount = r.u16();
  if (edkCount === 0) throw corrupt('encryptedDataKeys', 'no encrypted data key');
  if (edkCount > MAX_ENCRYPTED_DATA_KEYS) throw corrupt('encryptedDataKeys', `${edkCount} keys exceed the limit of ${MAX_ENCRYPTED_DATA_KEYS}`);
  const encryptedDataKeys: EncryptedDataKey[] = [];
  for (let i = 0; i < edkCount; i++) {
    const providerId = text(r.take(r.u16()), 'encryptedDataKeys');
    const providerInfo = r.take(r.u16());
    const encryptedDataKey = r.take(r.u16());
    encryptedDataKeys.push({ providerId, providerInfo, encryptedDataKey });
  }
  const contentType = r.u8();
  if (contentType !== CONTENT_TYPE_FRAMED) throw corrupt('contentType', `0x${contentType.toString(16)} is not framed data`);
  const frameLength = r.u32();
  if (frameLength === 0 || frameLength > MAX_READ_FRAME_LENGTH) throw corrupt('frameLength', `${frameLength} is out of range`);
  const commitment = r.take(COMMITMENT_LENGTH);
  const headerBytes = bytes.slice(0, r.offset);
  const authTag = r.take(TAG_LENGTH);
  return { messageId, context, encryptedDataKeys, frameLength, commitment, headerBytes, authTag, length: r.offset };
}

/**
 * Parses a header from the start of `bytes`. Returns null when more bytes are needed
 * (at the end of a stream the caller reports that as truncation).
 */
export function parseHeader(bytes: Uint8Array): MessageHeader | null {
  try {
    return parseHeaderFields(bytes);
  } catch (error) {
    if (!(error instanceof NeedMore)) throw error;
    if (bytes.byteLength >= MAX_HEADER_LENGTH) throw corrupt('header', `longer than ${MAX_HEADER_LENGTH} bytes`);
    return null;
  }
}

export function parseCompleteHeader(bytes: Uint8Array): MessageHeader {
  const header = parseHeader(bytes);
  if (!header) throw new TruncatedError('The message ends inside its header');
  return header;
}

// ---- body layout -------------------------------------------------------------------------

export const regularFrameSize = (frameLength: number): number => frameLength + REGULAR_FRAME_OVERHEAD;
export const finalFrameSize = (contentLength: number): number => contentLength + FINAL_FRAME_OVERHEAD;

/** How a plaintext of `size` bytes is split: `regular` full frames, then a final frame of `finalLength`. */
export function frameSplit(size: number, frameLength: number): { regular: number; finalLength: number } {
  return { regular: Math.floor(size / frameLength), finalLength: size % frameLength };
}

export function bodySize(plaintextSize: number, frameLength: number): number {
  const { regular, finalLength } = frameSplit(plaintextSize, frameLength);
  return regular * regularFrameSize(frameLength) + finalFrameSize(finalLength);
}

/** The whole message size: a pure function of plaintext size, frame length and header length. */
export const ciphertextSize = (plaintextSize: number, frameLength: number, headerLength: number): number => headerLength + bodySize(plaintextSize, frameLength);

export function frameIv(sequenceNumber: number): Uint8Array {
  const iv = new Uint8Array(IV_LENGTH);
  new DataView(iv.buffer).setUint32(IV_LENGTH - 4, sequenceNumber);
  return iv;
}

export function checkSequenceNumber(sequenceNumber: number): void {
  if (!Number.isInteger(sequenceNumber) || sequenceNumber < 1 || sequenceNumber > MAX_SEQUENCE_NUMBER) {
    throw new RangeError(`sequence number ${sequenceNumber} is out of range`);
  }
}

/**
 * Length of a header (with its auth tag) carrying the one data key `keyring` writes: known before
 * the message exists, so parts can be planned — and the upload sized — before any data key is made.
 */
export function sealedHeaderLength(context: EncryptionContext, keyring: { readonly edkShape: EdkShape }): number {
  const aad = serializeContextPairs(context).byteLength;
  const shape = keyring.edkShape;
  const edk = 2 + utf8(shape.providerId).byteLength + 2 + shape.providerInfoLength + 2 + shape.encryptedKeyLength;
  return 1 + 2 + MESSAGE_ID_LENGTH + 2 + aad + 2 + edk + 1 + 4 + COMMITMENT_LENGTH + TAG_LENGTH;
}
