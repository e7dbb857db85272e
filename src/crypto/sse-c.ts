/**
 * SSE-C, the optional second layer: the store encrypts at rest with a key the client sends on
 * every request and forgets after it. The key is derived from the link secret with HKDF under
 * its own label, so it says nothing about the key that protects the content; the presign server
 * never sees it (it signs only the algorithm header). S3 wants the key's MD5 too (md5.ts): only
 * S3's transmission check, not a security primitive.
 */
import { SSE_C_HEADERS } from '../contract/api.ts';
import { toBase64 } from './bytes.ts';
import { md5 } from './md5.ts';

const LABEL = new TextEncoder().encode('cipherdrop sse-c key v1');

/** The 256-bit SSE-C key of the file whose link secret is `secret`. */
export async function customerKey(secret: Uint8Array): Promise<Uint8Array> {
  const ikm = await crypto.subtle.importKey('raw', secret.slice(), 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: LABEL }, ikm, 256));
}

/** The three headers every store request for the file carries under SSE-C. */
export async function customerKeyHeaders(secret: Uint8Array): Promise<Record<string, string>> {
  const key = await customerKey(secret);
  return {
    [SSE_C_HEADERS.algorithm]: 'AES256',
    [SSE_C_HEADERS.key]: toBase64(key),
    [SSE_C_HEADERS.keyMd5]: toBase64(await md5(key)),
  };
}
