/**
 * The sender's side of a request link: fetch the request, hold the server to the key the link
 * names (the fingerprint in the fragment), and open the card. What the sender then sends is
 * sealed to the request's public key: the sender cannot read it back.
 */

import type { RequestState } from '../contract/requests.ts';
import { fromBase64Url } from '../crypto/bytes.ts';
import { CorruptedError } from '../crypto/errors.ts';
import { type Keyring, rsaKeyring } from '../crypto/keyring.ts';
import { importRequestPublicKey, openCard } from '../crypto/request-keys.ts';
import type { Api } from '../transfer/api.ts';
import type { RequestLink } from './links.ts';

export interface OpenRequest {
  id: string;
  title: string;
  note: string;
  /** seals to the request's public key only */
  keyring: Keyring;
  /** only an open request takes files; the page says why otherwise */
  state: RequestState;
  expiresAt: number;
  maxFiles: number;
  maxBytes: number;
  filesLeft: number;
  bytesLeft: number;
}

export function decodeBlob(text: string, what: string): Uint8Array {
  const bytes = fromBase64Url(text);
  if (!bytes) throw new CorruptedError({ field: what }, `the server sent a malformed ${what}`);
  return bytes;
}

export async function openRequest(api: Pick<Api, 'getRequest'>, link: RequestLink, signal?: AbortSignal): Promise<OpenRequest> {
  const info = await api.getRequest(link.id, signal);
  // KeyMismatch when the server's key is not the one the link names: nothing is sent then.
  const publicKey = await importRequestPublicKey(decodeBlob(info.publicKey, 'publicKey'), link.fingerprint);
  const card = await openCard(decodeBlob(info.card, 'card'), link.cardSecret, link.fingerprint);
  return {
    id: link.id,
    title: card.title,
    note: card.note,
    keyring: rsaKeyring({ publicKey }),
    state: info.state,
    expiresAt: info.expiresAt,
    maxFiles: info.maxFiles,
    maxBytes: info.maxBytes,
    filesLeft: info.filesLeft,
    bytesLeft: info.bytesLeft,
  };
}
