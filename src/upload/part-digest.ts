/**
 * Nonce safety for parts sealed more than once (issue 13). A retried or resumed part is sealed
 * again with the same content key and the same IVs (its frames' sequence numbers): that yields
 * the same ciphertext for the same bytes, but for other bytes it is AES-GCM nonce reuse once both
 * ciphertexts are out (the XOR of the two plaintexts leaks, and the GHASH key can be recovered, so
 * forgeries follow). The file fingerprint (fingerprint.ts) samples only the file's ends; this is
 * the check that covers every byte, where it matters: before a part's sealed bytes leave the
 * worker, they must be the very ones it first sent.
 *
 * What is recorded: the SHA-256 of the part's frames' GCM tags, in order — 16 bytes a frame that
 * AES-GCM computes anyway. Under one key and IV, other plaintext is other ciphertext, and its tag
 * differs too except with probability about 2⁻¹²⁸ for bytes chosen without the key. The digest is
 * saved in the upload record before the part's first PUT (a PUT whose answer is lost may still
 * have reached the store, so from then on these IVs count as used); a later seal of the part is
 * compared with it before anything is spooled or sent: the same tags are the same ciphertext as
 * before; other tags and the new ciphertext is wiped in the worker, never spooled or PUT, and the
 * upload starts afresh with a new key (SourceChanged). A second ciphertext that exists only in the
 * memory that holds the key itself gives nobody anything.
 *
 * Why the tags and not the plaintext's SHA-256 (the first design, which refused before sealing):
 * hashing the plaintext cost the renderer about 1 CPU-second per GiB, an eighth of the encrypted
 * upload's CPU (WebCrypto copies its input into fresh memory; README "Where the CPU goes"); the tags
 * cost one SHA-256 of 512 bytes a part. Size: 32 bytes a part in the record.
 */
import { timingSafeEqual } from '../crypto/bytes.ts';
import { TAG_LENGTH } from '../crypto/format.ts';
import { readFrame } from '../crypto/frames.ts';
import { TransferError } from '../errors.ts';
import type { UploadRecord } from './upload-record.ts';

/** SHA-256: each part's digest takes this many bytes of `UploadRecord.partDigests`. */
export const PART_DIGEST_LENGTH = 32;

/** Room for every part's digest, none recorded yet (all zero). */
export const noPartDigests = (partCount: number): Uint8Array => new Uint8Array(partCount * PART_DIGEST_LENGTH);

/**
 * SHA-256 of the GCM tags of the frames in a sealed part (after `prefixLength` bytes of header, for
 * part 1), in order. The frames are read with every structural check (frames.ts `readFrame`).
 */
export async function sealedPartDigest(sealed: Uint8Array, prefixLength: number, frameLength: number, firstSeq: number): Promise<Uint8Array> {
  const tags: Uint8Array[] = [];
  for (let at = prefixLength, seq = firstSeq; at < sealed.byteLength; seq++) {
    const frame = readFrame(sealed, at, frameLength, seq);
    if (!frame) throw new RangeError('a sealed part ends inside a frame');
    tags.push(frame.sealed.subarray(frame.sealed.byteLength - TAG_LENGTH));
    at += frame.size;
  }
  const list = new Uint8Array(tags.length * TAG_LENGTH);
  for (const [i, tag] of tags.entries()) list.set(tag, i * TAG_LENGTH);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', list));
}

const sourceChanged = (partNumber: number): TransferError =>
  new TransferError('SourceChanged', `Part ${partNumber} of the file changed since it was first encrypted: it is not sent again under the same key`);

/** Throws SourceChanged unless `digest` is the one recorded (if one is). */
export function checkPartDigest(partNumber: number, digest: Uint8Array, recorded: Uint8Array | undefined): void {
  if (recorded && !timingSafeEqual(digest, recorded)) throw sourceChanged(partNumber);
}

/**
 * Part `partNumber`'s recorded digest, or undefined if the part was never sealed. All zero means
 * none: a SHA-256 that is all zero is as likely as guessing the key. A copy, not a view: a view
 * sent to a worker would carry every part's digest with it.
 */
export function recordedPartDigest(digests: Uint8Array, partNumber: number): Uint8Array | undefined {
  const at = (partNumber - 1) * PART_DIGEST_LENGTH;
  const digest = digests.slice(at, at + PART_DIGEST_LENGTH);
  return digest.some((b) => b !== 0) ? digest : undefined;
}

/** Records a part's digest the first time it is sealed; a later, different one throws SourceChanged. */
export function recordPartDigest(digests: Uint8Array, partNumber: number, digest: Uint8Array): void {
  if (digest.byteLength !== PART_DIGEST_LENGTH) throw new RangeError('a part digest is a SHA-256');
  checkPartDigest(partNumber, digest, recordedPartDigest(digests, partNumber));
  digests.set(digest, (partNumber - 1) * PART_DIGEST_LENGTH);
}

/**
 * A saved record taken back to resume, made ready for the tag digests. Records from before any
 * part digest hold parts in flight to the fingerprint only (all zero digests). Records whose parts
 * were held to their plaintext's SHA-256 (`plainDigests`, saved by the version before the tags)
 * cannot be checked against tags: their fingerprint is dropped, so the file, picked again, starts
 * afresh with a new key (as a changed file does) rather than have such a part sealed and sent again.
 */
export function takeBackDigests(record: UploadRecord & { plainDigests?: Uint8Array }): void {
  if (record.plainDigests?.some((b) => b !== 0)) record.fingerprint = null;
  delete record.plainDigests;
  record.partDigests ??= noPartDigests(record.parts.length);
}
