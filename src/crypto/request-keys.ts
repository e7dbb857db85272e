/**
 * The keys of a file request (docs/REQUESTS.md). The requester's page makes an RSA-OAEP-4096
 * key pair; the server keeps the public key (SPKI DER), and the private key only sealed:
 *
 *   fingerprint        = base64url(SHA-256(SPKI DER))                  the request link's fragment
 *   sealed private key = ESDK(raw AES cipherdrop/inbox-v1, key = inbox secret, PKCS#8 DER),
 *                        context {cipherdrop:object: inbox-key,    cipherdrop:fingerprint: fp}
 *   card               = ESDK(raw AES cipherdrop/card-v1,  key = card secret,  {"v":1,"title","note"}),
 *                        context {cipherdrop:object: request-card, cipherdrop:fingerprint: fp}
 *
 * Both sealed blobs are ordinary ESDK messages, so any AWS Encryption SDK opens them with the
 * secret. Binding them to the fingerprint means a server that swaps the public key cannot pair
 * it with this request's sealed key or card.
 */
import { MAX_CARD_SIZE, MAX_SEALED_KEY_SIZE, REQUEST_KEY_BITS, REQUEST_KEY_EXPONENT } from '../contract/limits.ts';
import { buf, fromBase64Url, fromUtf8, timingSafeEqual, toBase64Url, utf8 } from './bytes.ts';
import { importWrappingKey } from './cipher.ts';
import { CorruptedError, KeyMismatchError } from './errors.ts';
import type { EncryptionContext } from './format.ts';
import { aesKeyring, type Keyring } from './keyring.ts';
import { decryptBytes, encryptBytes } from './message.ts';
import { CONTEXT_OBJECT, type ObjectRole, objectContext } from './objects.ts';

const subtle = globalThis.crypto.subtle;

/** Raw AES key names of the two sealed blobs (provider ID `cipherdrop`). */
export const INBOX_KEY_NAME = 'inbox-v1';
export const CARD_KEY_NAME = 'card-v1';
export const CONTEXT_FINGERPRINT = 'cipherdrop:fingerprint';
export const MAX_CARD_TITLE_LENGTH = 200;
export const MAX_CARD_NOTE_LENGTH = 2000;
const CARD_VERSION = 1;
const FINGERPRINT_BYTES = 32;

const RSA_OAEP: RsaHashedImportParams = { name: 'RSA-OAEP', hash: 'SHA-256' };

export interface RequestKeys {
  publicKey: CryptoKey;
  /** Extractable, so that sealPrivateKey can export it: seal it and drop it. */
  privateKey: CryptoKey;
  /** the public key's SPKI DER: what the server stores */
  spki: Uint8Array;
  fingerprint: string;
}

/** A fresh RSA-OAEP-4096 (e = 65537, SHA-256) key pair, with its SPKI and fingerprint. Slow: about a second. */
export async function generateRequestKeys(): Promise<RequestKeys> {
  const params: RsaHashedKeyGenParams = { ...RSA_OAEP, modulusLength: REQUEST_KEY_BITS, publicExponent: exponentBytes(REQUEST_KEY_EXPONENT) };
  const { publicKey, privateKey } = (await subtle.generateKey(params, true, ['encrypt', 'decrypt'])) as CryptoKeyPair;
  const spki = new Uint8Array(await subtle.exportKey('spki', publicKey));
  return { publicKey, privateKey, spki, fingerprint: await keyFingerprint(spki) };
}

/** base64url(SHA-256(SPKI DER)): 43 characters. */
export async function keyFingerprint(spki: Uint8Array): Promise<string> {
  return toBase64Url(new Uint8Array(await subtle.digest('SHA-256', buf(spki))));
}

function exponentBytes(e: number): Uint8Array<ArrayBuffer> {
  const bytes: number[] = [];
  for (let v = e; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.from(bytes);
}

/** A request key's shape: RSA-OAEP, SHA-256, 4096-bit modulus, e = 65537. */
function isRequestKey(key: CryptoKey): boolean {
  const a = key.algorithm as RsaHashedKeyAlgorithm;
  const e = a.publicExponent;
  const leading = e.findIndex((b) => b !== 0);
  const exponent = leading < 0 ? new Uint8Array(0) : e.subarray(leading);
  return (
    a.name === 'RSA-OAEP' && a.hash.name === 'SHA-256' && a.modulusLength === REQUEST_KEY_BITS && timingSafeEqual(exponent, exponentBytes(REQUEST_KEY_EXPONENT))
  );
}

/**
 * The request's public key from the SPKI DER the server returned, if and only if its fingerprint
 * is the one the request link carries and it is a request key; KeyMismatchError otherwise.
 */
export async function importRequestPublicKey(spki: Uint8Array, expectedFingerprint: string): Promise<CryptoKey> {
  const expected = fromBase64Url(expectedFingerprint);
  const actual = new Uint8Array(await subtle.digest('SHA-256', buf(spki)));
  if (expected?.byteLength !== FINGERPRINT_BYTES || !timingSafeEqual(expected, actual)) {
    throw new KeyMismatchError("The request's public key is not the one its link names (the server returned another key)");
  }
  let key: CryptoKey;
  try {
    key = await subtle.importKey('spki', buf(spki), RSA_OAEP, true, ['encrypt']);
  } catch {
    throw new KeyMismatchError("The request's public key is not an RSA key");
  }
  if (!isRequestKey(key)) throw new KeyMismatchError("The request's public key is not RSA-OAEP-4096 with e = 65537");
  return key;
}

const sealedContext = (object: 'inbox-key' | 'request-card', fingerprint: string): EncryptionContext => ({
  [CONTEXT_OBJECT]: object,
  [CONTEXT_FINGERPRINT]: fingerprint,
});

async function secretKeyring(secret: Uint8Array, keyName: string): Promise<Keyring> {
  return aesKeyring(await importWrappingKey(secret), keyName);
}

/** The private key's PKCS#8 DER sealed under the inbox secret, bound to the fingerprint. */
export async function sealPrivateKey(privateKey: CryptoKey, inboxSecret: Uint8Array, fingerprint: string): Promise<Uint8Array<ArrayBuffer>> {
  const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', privateKey));
  try {
    return buf(await encryptBytes(await secretKeyring(inboxSecret, INBOX_KEY_NAME), pkcs8, { context: sealedContext('inbox-key', fingerprint) }));
  } finally {
    pkcs8.fill(0);
  }
}

/**
 * The request's private key, non-extractable and for decryption only. WrongKey for a wrong inbox
 * secret, ContextMismatch when it was sealed for another key (fingerprint), Corrupted when the
 * sealed bytes hold no request key.
 */
export async function openPrivateKey(sealed: Uint8Array, inboxSecret: Uint8Array, fingerprint: string): Promise<CryptoKey> {
  if (sealed.byteLength > MAX_SEALED_KEY_SIZE) throw new CorruptedError({ field: 'sealedPrivateKey' }, 'too large');
  const pkcs8 = await decryptBytes(await secretKeyring(inboxSecret, INBOX_KEY_NAME), sealed, { context: sealedContext('inbox-key', fingerprint) });
  let key: CryptoKey;
  try {
    key = await subtle.importKey('pkcs8', buf(pkcs8), RSA_OAEP, false, ['decrypt']);
  } catch {
    throw new CorruptedError({ field: 'sealedPrivateKey' }, 'not an RSA private key');
  } finally {
    pkcs8.fill(0);
  }
  if (!isRequestKey(key)) throw new CorruptedError({ field: 'sealedPrivateKey' }, 'not an RSA-OAEP-4096 key with e = 65537');
  return key;
}

/** What the sender's page shows: who is asking, and why. */
export interface RequestCard {
  title: string;
  note: string;
}

/** A title of 1 … 200 characters (not only spaces) and a note of at most 2 000 (UTF-16 code units, as String.length). */
export function isValidCard(card: { title: unknown; note: unknown }): card is RequestCard {
  const { title, note } = card;
  return (
    typeof title === 'string' &&
    title.trim().length > 0 &&
    title.length <= MAX_CARD_TITLE_LENGTH &&
    typeof note === 'string' &&
    note.length <= MAX_CARD_NOTE_LENGTH
  );
}

export async function sealCard(card: RequestCard, cardSecret: Uint8Array, fingerprint: string): Promise<Uint8Array<ArrayBuffer>> {
  if (!isValidCard(card))
    throw new RangeError(`a request needs a title of 1 to ${MAX_CARD_TITLE_LENGTH} characters and a note of at most ${MAX_CARD_NOTE_LENGTH}`);
  const json = utf8(JSON.stringify({ v: CARD_VERSION, title: card.title, note: card.note }));
  return buf(await encryptBytes(await secretKeyring(cardSecret, CARD_KEY_NAME), json, { context: sealedContext('request-card', fingerprint) }));
}

/** The card's title and note; WrongKey / ContextMismatch as openPrivateKey, Corrupted when malformed. */
export async function openCard(sealed: Uint8Array, cardSecret: Uint8Array, fingerprint: string): Promise<RequestCard> {
  if (sealed.byteLength > MAX_CARD_SIZE) throw new CorruptedError({ field: 'card' }, 'too large');
  const plain = await decryptBytes(await secretKeyring(cardSecret, CARD_KEY_NAME), sealed, { context: sealedContext('request-card', fingerprint) });
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(plain));
  } catch {
    throw new CorruptedError({ field: 'card' }, 'not JSON');
  }
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const card = { title: v.title, note: v.note };
  if (v.v !== CARD_VERSION || !isValidCard(card)) throw new CorruptedError({ field: 'card' }, 'missing or malformed fields');
  return card;
}

/** The context of a file sent to a request: `{cipherdrop:id, cipherdrop:object, cipherdrop:request}`. */
export const requestObjectContext = (fileId: string, role: ObjectRole, requestId: string): EncryptionContext => objectContext(fileId, role, requestId);
