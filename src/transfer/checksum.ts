/**
 * The digest of a sealed part, as the store checks it (api-types.ts PartChecksum). SHA-256 comes
 * from WebCrypto (~1–1.5 GB/s here, native). MD5 is not in WebCrypto: hash-wasm computes it in
 * WebAssembly (~560 MB/s here; a pure-JS MD5 managed 88 MB/s, which would have halved uploads).
 * It is loaded only when a server asks for MD5, whose CSP then allows WebAssembly.
 */
import type { PartChecksum } from '../contract/api.ts';
import { toBase64 } from '../crypto/bytes.ts';

type Md5 = Awaited<ReturnType<typeof import('hash-wasm')['createMD5']>>;
let md5: Promise<Md5> | undefined;

/** Base64 of the digest, as the `x-amz-checksum-sha256` or `Content-MD5` header carries it. */
export async function partDigest(algorithm: PartChecksum, bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  if (algorithm === 'sha256') return toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
  md5 ??= import('hash-wasm').then((m) => m.createMD5());
  // One hasher per thread, used synchronously between init and digest: no interleaving.
  const hasher = await md5;
  hasher.init();
  hasher.update(bytes);
  return toBase64(hasher.digest('binary'));
}
