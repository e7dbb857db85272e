/**
 * Whether a re-picked file is the very file an unfinished upload started with. Resuming seals the
 * remaining frames with the same key and IVs as before; for the same bytes that yields the same
 * ciphertext, but for changed bytes it would be AES-GCM nonce reuse, which leaks plaintext and
 * lets the authentication key be recovered. So any doubt starts a fresh upload with a fresh key.
 *
 * Size and lastModified catch ordinary edits; a SHA-256 of the first and last MiB catches a file
 * replaced by another of the same size whose time was kept (copies, `touch -r`). Reading the whole
 * file would be certain but costs a full pass over many GiB before anything is sent. A file edited
 * only in its middle with its time restored passes this check; what keeps that from reusing nonces
 * is part-digest.ts: every part already sealed must present the same plaintext digest to be
 * sealed again (parts never sealed use IVs never used). Chromium also refuses to read a File whose
 * disk copy changed after it was picked.
 */
import { toBase64Url } from '../crypto/bytes.ts';
import { MiB } from '../crypto/format.ts';

/** How much of each end of the file is hashed. */
export const FINGERPRINT_SAMPLE = 1 * MiB;

export interface Fingerprint {
  size: number;
  lastModified: number;
  /** base64url SHA-256 of the first and last FINGERPRINT_SAMPLE bytes (the whole file if smaller) */
  sample: string;
}

export async function fingerprint(blob: Blob, lastModified: number): Promise<Fingerprint> {
  const size = blob.size;
  const head = blob.slice(0, Math.min(size, FINGERPRINT_SAMPLE));
  const tail = blob.slice(Math.max(FINGERPRINT_SAMPLE, size - FINGERPRINT_SAMPLE), size);
  const bytes = await new Blob([head, tail]).arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return { size, lastModified, sample: toBase64Url(new Uint8Array(digest)) };
}

export const sameFingerprint = (a: Fingerprint | null, b: Fingerprint): boolean =>
  a !== null && a.size === b.size && a.lastModified === b.lastModified && a.sample === b.sample;
