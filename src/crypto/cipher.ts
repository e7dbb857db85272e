/**
 * The cryptography of suite 0x0478, on WebCrypto only (browser, worker and Node alike): key
 * derivation, commitment, header tag, a frame's AAD. Data keys are wrapped by a keyring
 * (keyring.ts), frames sealed and opened by frame-cipher.ts; framing is in format.ts.
 */
import { buf, concatBytes, timingSafeEqual, uint16, uint32, uint64, utf8 } from './bytes.ts';
import { CorruptedError } from './errors.ts';
import { BODY_AAD_FINAL, BODY_AAD_REGULAR, COMMITMENT_LENGTH, DATA_KEY_LENGTH, IV_LENGTH, type MessageHeader, SUITE_ID, TAG_LENGTH } from './format.ts';

const subtle = globalThis.crypto.subtle;
const TAG_BITS = TAG_LENGTH * 8;
const KEY_LABEL = concatBytes(uint16(SUITE_ID), utf8('DERIVEKEY'));
const COMMIT_LABEL = utf8('COMMITKEY');

/** Imports a 32-byte link secret (or a password-derived key) as the keyring's wrapping key. */
export function importWrappingKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.byteLength !== DATA_KEY_LENGTH) throw new RangeError('A wrapping key is 32 bytes');
  return subtle.importKey('raw', buf(raw), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

export interface ContentKeys {
  /** The per-message AES-GCM key for the header tag and every frame (non-extractable, clonable to workers). */
  contentKey: CryptoKey;
  commitment: Uint8Array;
}

/** HKDF-SHA512(salt = message ID, ikm = data key): the derived key and the key commitment. */
export async function deriveContentKeys(dataKey: Uint8Array, messageId: Uint8Array): Promise<ContentKeys> {
  const ikm = await subtle.importKey('raw', buf(dataKey), 'HKDF', false, ['deriveBits']);
  const expand = async (info: Uint8Array, length: number) =>
    new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-512', salt: buf(messageId), info: buf(info) }, ikm, length * 8));
  const [keyBytes, commitment] = await Promise.all([expand(KEY_LABEL, DATA_KEY_LENGTH), expand(COMMIT_LABEL, COMMITMENT_LENGTH)]);
  const contentKey = await subtle.importKey('raw', keyBytes, 'AES-GCM', false, ['encrypt', 'decrypt']);
  keyBytes.fill(0);
  return { contentKey, commitment };
}

const ZERO_IV = new Uint8Array(IV_LENGTH);

export async function headerAuthTag(contentKey: CryptoKey, headerBytes: Uint8Array): Promise<Uint8Array> {
  const tag = await subtle.encrypt({ name: 'AES-GCM', iv: ZERO_IV, additionalData: buf(headerBytes), tagLength: TAG_BITS }, contentKey, new Uint8Array(0));
  return new Uint8Array(tag);
}

/** Checks the key commitment of an unwrapped data key (zeroed here), then the header tag. Returns the content key. */
export async function openHeader(dataKey: Uint8Array, header: MessageHeader): Promise<CryptoKey> {
  const { contentKey, commitment } = await deriveContentKeys(dataKey, header.messageId);
  dataKey.fill(0);
  if (!timingSafeEqual(commitment, header.commitment)) throw new CorruptedError({ field: 'commitment' }, 'key commitment does not match');
  try {
    await subtle.decrypt({ name: 'AES-GCM', iv: ZERO_IV, additionalData: buf(header.headerBytes), tagLength: TAG_BITS }, contentKey, buf(header.authTag));
  } catch {
    throw new CorruptedError({ field: 'headerAuthTag' }, 'header authentication failed');
  }
  return contentKey;
}

/** AAD of a frame: messageId || content string || seq(4) || plaintext length(8). */
export function frameAad(messageId: Uint8Array, sequenceNumber: number, final: boolean, length: number): Uint8Array {
  return concatBytes(messageId, final ? BODY_AAD_FINAL : BODY_AAD_REGULAR, uint32(sequenceNumber), uint64(length));
}
