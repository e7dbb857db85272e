/**
 * Making a file request (docs/REQUESTS.md): a fresh RSA key pair in this browser, the private key
 * sealed under the inbox secret, the title and note sealed under the card secret (derived from the
 * inbox secret, so the inbox can rebuild the request link), and only the public key and the two
 * sealed blobs sent to the server.
 */
import { randomBytes, toBase64Url } from '../crypto/bytes.ts';
import { generateRequestKeys, sealCard, sealPrivateKey } from '../crypto/request-keys.ts';
import type { Api } from '../transfer/api.ts';
import { cardSecretOf } from './card-secret.ts';
import { inboxLinkPath, requestLinkPath } from './links.ts';

export interface RequestForm {
  title: string;
  note: string;
  expiresInSeconds: number;
  maxFiles?: number;
  maxBytes?: number;
}

export interface CreatedRequest {
  id: string;
  /** path and fragment of the link to give out */
  requestLink: string;
  /** path and fragment of the requester's own link: it opens every file sent */
  inboxLink: string;
  expiresAt: number | null;
}

export async function createFileRequest(api: Pick<Api, 'createRequest'>, form: RequestForm, signal?: AbortSignal): Promise<CreatedRequest> {
  const keys = await generateRequestKeys();
  const inboxSecret = randomBytes(32);
  const cardSecret = await cardSecretOf(inboxSecret);
  const [sealedPrivateKey, card] = await Promise.all([
    sealPrivateKey(keys.privateKey, inboxSecret, keys.fingerprint),
    sealCard({ title: form.title, note: form.note }, cardSecret, keys.fingerprint),
  ]);
  const created = await api.createRequest(
    {
      publicKey: toBase64Url(keys.spki),
      sealedPrivateKey: toBase64Url(sealedPrivateKey),
      card: toBase64Url(card),
      expiresInSeconds: form.expiresInSeconds,
      maxFiles: form.maxFiles,
      maxBytes: form.maxBytes,
    },
    signal,
  );
  return {
    id: created.id,
    requestLink: requestLinkPath({ id: created.id, fingerprint: keys.fingerprint, cardSecret }),
    inboxLink: inboxLinkPath({ id: created.id, ownerToken: created.ownerToken, inboxSecret }),
    expiresAt: created.expiresAt,
  };
}
