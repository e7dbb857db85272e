/**
 * The requester's inbox (docs/REQUESTS.md): list what was sent, with the owner token from the
 * inbox link; open the sealed private key with the inbox secret, which never leaves this page;
 * then each file's meta object (name, type, size, the sender's message) with the private key.
 */
import type { FileInfoResponse } from '../contract/api.ts';
import type { RequestState } from '../contract/requests.ts';
import { type Keyring, rsaKeyring } from '../crypto/keyring.ts';
import { type FileMeta, openMeta } from '../crypto/objects.ts';
import { keyFingerprint, openCard, openPrivateKey } from '../crypto/request-keys.ts';
import { fetchMetaBytes, type OpenedLink } from '../download/downloader.ts';
import type { Api } from '../transfer/api.ts';
import { orderedPool } from '../transfer/ordered-pool.ts';
import { cardSecretOf } from './card-secret.ts';
import { type InboxLink, requestLinkPath } from './links.ts';
import { decodeBlob } from './sender.ts';

export type InboxApi = Pick<Api, 'inbox' | 'requestFile' | 'deleteRequestFile' | 'closeRequest' | 'deleteRequest'>;

/** A received file: its meta object opened, or why it could not be. */
export interface ReceivedFile {
  id: string;
  receivedAt: number | null;
  /** ciphertext size */
  size: number;
  opened: { link: OpenedLink } | { error: unknown };
}

export interface OpenInbox {
  id: string;
  title: string;
  note: string;
  state: RequestState;
  expiresAt: number;
  maxFiles: number;
  maxBytes: number;
  /** path and fragment of the request link, rebuilt from the inbox secret, to give out again */
  requestLink: string;
  keyring: Keyring;
  files: ReceivedFile[];
}

const META_READS_IN_FLIGHT = 4;

/** Opens one received file's meta object, as a link the download session can take. */
export async function openReceived(api: InboxApi, link: InboxLink, keyring: Keyring, fileId: string, signal?: AbortSignal): Promise<OpenedLink> {
  const refreshInfo = (s?: AbortSignal): Promise<FileInfoResponse> => api.requestFile(link.id, fileId, link.ownerToken, s);
  const info = await refreshInfo(signal);
  const metaBytes = await fetchMetaBytes(info, undefined, signal);
  const meta: FileMeta = await openMeta(keyring, fileId, metaBytes, link.id);
  return { id: fileId, meta, info, keyring, requestId: link.id, refreshInfo };
}

export async function openInbox(api: InboxApi, link: InboxLink, signal?: AbortSignal): Promise<OpenInbox> {
  const inbox = await api.inbox(link.id, link.ownerToken, signal);
  const fingerprint = await keyFingerprint(decodeBlob(inbox.publicKey, 'publicKey'));
  // Sealed under the inbox secret and bound to the key's fingerprint: a swapped key or blob fails here.
  const privateKey = await openPrivateKey(decodeBlob(inbox.sealedPrivateKey, 'sealedPrivateKey'), link.inboxSecret, fingerprint);
  const cardSecret = await cardSecretOf(link.inboxSecret);
  const card = await openCard(decodeBlob(inbox.card, 'card'), cardSecret, fingerprint);
  const keyring = rsaKeyring({ privateKey });
  const files: ReceivedFile[] = [];
  await orderedPool(
    inbox.files.length,
    META_READS_IN_FLIGHT,
    async (i) => {
      const file = inbox.files[i];
      try {
        return { ...file, opened: { link: await openReceived(api, link, keyring, file.id, signal) } };
      } catch (error) {
        // One forged or damaged file is shown as such; the others still open.
        return { ...file, opened: { error } };
      }
    },
    async (file) => {
      files.push(file);
    },
    signal,
  );
  return {
    id: link.id,
    title: card.title,
    note: card.note,
    state: inbox.state,
    expiresAt: inbox.expiresAt,
    maxFiles: inbox.maxFiles,
    maxBytes: inbox.maxBytes,
    requestLink: requestLinkPath({ id: link.id, fingerprint, cardSecret }),
    keyring,
    files,
  };
}
