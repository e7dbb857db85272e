/**
 * The digest of a sealed part, as the store checks it (contract/api.ts PartChecksum). SHA-256 comes
 * from WebCrypto (~1–1.5 GB/s here, native); MD5 from crypto/md5.ts.
 */
import type { PartChecksum } from '../contract/api.ts';
import { toBase64 } from '../crypto/bytes.ts';
import { md5 } from '../crypto/md5.ts';

/** Base64 of the digest, as the `x-amz-checksum-sha256` or `Content-MD5` header carries it. */
export async function partDigest(algorithm: PartChecksum, bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  if (algorithm === 'sha256') return toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
  return toBase64(await md5(bytes));
}
