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
 * worker's thread; no extra read of the file. Size: 32 bytes a part in the record.
 */
import { timingSafeEqual } from '../crypto/bytes.ts';
import { TransferError } from '../errors.ts';

/** SHA-256: each part's digest takes this many bytes of `UploadRecord.plainDigests`. */
export const PLAIN_DIGEST_LENGTH = 32;

/** Room for every part's digest, none recorded yet (all zero). */
export const noPlainDigests = (partCount: number): Uint8Array => new Uint8Array(partCount * PLAIN_DIGEST_LENGTH);

/** SHA-256 through WebCrypto, which a worker, the page and Node all have. */
export const plainDigest = async (plaintext: Uint8Array<ArrayBuffer>): Promise<Uint8Array> => new Uint8Array(await crypto.subtle.digest('SHA-256', plaintext));

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
