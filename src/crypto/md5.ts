/**
 * MD5, which WebCrypto lacks, for S3's two transmission checks: `Content-MD5` of a part
 * (PART_CHECKSUM=md5) and the SSE-C key's MD5. Never a security primitive here. One library for
 * both: hash-wasm computes it in WebAssembly (~560 MB/s here; a pure-JS MD5 managed 88 MB/s, which
 * would have halved uploads), loaded on first use; the page's CSP allows WebAssembly only in the
 * two server modes that need it (server/headers.ts).
 */
type Md5 = Awaited<ReturnType<typeof import('hash-wasm')['createMD5']>>;
let hasher: Promise<Md5> | undefined;

export async function md5(bytes: Uint8Array): Promise<Uint8Array> {
  hasher ??= import('hash-wasm').then((m) => m.createMD5());
  // One hasher per thread, used synchronously between init and digest: no interleaving.
  const h = await hasher;
  h.init();
  h.update(bytes);
  return h.digest('binary');
}
