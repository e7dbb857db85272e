/**
 * The card secret (which seals a request's title and note) is derived from the inbox secret, one
 * way: the inbox can rebuild the request link, a request link never leads to the inbox.
 */
import { buf, utf8 } from '../crypto/bytes.ts';

const INFO = utf8('cipherdrop request card v1');

export async function cardSecretOf(inboxSecret: Uint8Array): Promise<Uint8Array> {
  const ikm = await crypto.subtle.importKey('raw', buf(inboxSecret), 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: buf(INFO) }, ikm, 256));
}
