/**
 * Nonce safety for parts sealed more than once (issue 13). A retried or resumed part is sealed
 * again with the same content key and the same IVs (its frames' sequence numbers): that yields
 * the same ciphertext for the same bytes, but for other bytes it is AES-GCM nonce reuse (the XOR
 * of the two plaintexts leaks, and the GHASH key can be recovered, so forgeries follow). The file
 * fingerprint (fingerprint.ts) samples only the file's ends; this is the check that covers every
 * byte, where it matters: each part's plaintext is hashed where it is already in memory (the
 * worker that seals it, just before sealing, parts.ts), the digest is recorded in the upload record
 * the first time, and every later seal of that part must present the very same digest.
 *
 * Cost: one SHA-256 pass over each part's plaintext, the same bytes AES-GCM then reads, in the
 * worker's thread; no extra read of the file. Size: 32 bytes a part in the record. The pass is
 * made in frame-sized pieces (a SHA-256 of the pieces' SHA-256s): WebCrypto copies its input,
 * and a 16 MiB copy lands in fresh memory every time, whose page faults cost Chromium more than
 * the hashing (shared/BROWSER-FACTS.md); the benchmark showed 9 CPU-s/GiB more for encrypted
 * uploads with one digest of the whole part, against 512 KiB pieces, which stay below that cliff.
 */
import { timingSafeEqual } from '../crypto/bytes.ts';
import { TransferError } from '../errors.ts';

/** SHA-256: each part's digest takes this many bytes of `UploadRecord.plainDigests`. */
export const PLAIN_DIGEST_LENGTH = 32;

/** Room for every part's digest, none recorded yet (all zero). */
export const noPlainDigests = (partCount: number): Uint8Array => new Uint8Array(partCount * PLAIN_DIGEST_LENGTH);

/** Hashed in pieces of this size (the default frame length): below Chromium's fresh-memory cliff. */
export const DIGEST_PIECE = 512 * 1024;

/**
 * SHA-256 of the list of SHA-256s of the plaintext's 512 KiB pieces (one piece for an empty part):
 * it binds every byte as a plain SHA-256 would. WebCrypto, which a worker, the page and Node all have.
 */
export async function plainDigest(plaintext: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const count = Math.max(1, Math.ceil(plaintext.byteLength / DIGEST_PIECE));
  const list = new Uint8Array(count * PLAIN_DIGEST_LENGTH);
  for (let i = 0; i < count; i++) {
    const piece = plaintext.subarray(i * DIGEST_PIECE, Math.min(plaintext.byteLength, (i + 1) * DIGEST_PIECE));
    list.set(new Uint8Array(await crypto.subtle.digest('SHA-256', piece)), i * PLAIN_DIGEST_LENGTH);
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', list));
}

const sourceChanged = (partNumber: number): TransferError =>
  new TransferError('SourceChanged', `Part ${partNumber} of the file changed since it was first encrypted: it is not encrypted again under the same key`);

/** Throws SourceChanged unless `digest` is the one recorded (if one is). */
export function checkPlainDigest(partNumber: number, digest: Uint8Array, recorded: Uint8Array | undefined): void {
  if (recorded && !timingSafeEqual(digest, recorded)) throw sourceChanged(partNumber);
}

/**
 * Part `partNumber`'s recorded digest, or undefined if the part was never sealed. All zero means
 * none: a SHA-256 that is all zero is as likely as guessing the key. A copy, not a view: a view
 * sent to a worker would carry every part's digest with it.
 */
export function recordedPlainDigest(digests: Uint8Array, partNumber: number): Uint8Array | undefined {
  const at = (partNumber - 1) * PLAIN_DIGEST_LENGTH;
  const digest = digests.slice(at, at + PLAIN_DIGEST_LENGTH);
  return digest.some((b) => b !== 0) ? digest : undefined;
}

/** Records a part's digest the first time it is sealed; a later, different one throws SourceChanged. */
export function recordPlainDigest(digests: Uint8Array, partNumber: number, digest: Uint8Array): void {
  if (digest.byteLength !== PLAIN_DIGEST_LENGTH) throw new RangeError('a plaintext digest is a SHA-256');
  checkPlainDigest(partNumber, digest, recordedPlainDigest(digests, partNumber));
  digests.set(digest, (partNumber - 1) * PLAIN_DIGEST_LENGTH);
}
