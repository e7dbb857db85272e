/**
 * What kind of upload this is, decided once: a share link's file (a fresh link secret, maybe a
 * password, a meta object), a file sent to a request (sealed to its public key, docs/REQUESTS.md),
 * or a blob of a set (the set's secret, no meta object: the set's manifest names it,
 * docs/SETS.md). The uploader asks the mode for the keyring, the contexts, the meta object and
 * what to tell the server, and has no branches of its own.
 */
import type { CreateUploadRequest } from '../contract/schemas.ts';
import { toBase64Url } from '../crypto/bytes.ts';
import type { EncryptionContext } from '../crypto/format.ts';
import { MESSAGE_ID_LENGTH } from '../crypto/format.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { type FileMeta, newLinkSecret, objectContext, sealMeta } from '../crypto/objects.ts';
import { linkKey, newPasswordParams } from '../crypto/password.ts';

/** A file request to send to (docs/REQUESTS.md): sealed to its public key, so only the requester opens it. */
export interface RequestTarget {
  id: string;
  /** the request's raw RSA keyring, holding only its public key */
  keyring: Keyring;
  /** the sender's message, sealed in the meta object */
  message?: string;
}

/** The set a blob belongs to (docs/SETS.md): its secret and keyring are the set's, made once for all its blobs. */
export interface SetTarget {
  id: string;
  /** the set's ticket: shown when each blob upload is created */
  ticket: string;
  /** the set's link secret (SSE-C keys derive from it); not the uploader's to clear */
  secret: Uint8Array;
  keyring: Keyring;
  password: boolean;
  /** a blob's encryption context, by its id */
  context: (blobId: string) => EncryptionContext;
}

export interface ModeOptions {
  request?: RequestTarget;
  set?: SetTarget;
  password?: string;
  expiresInSeconds?: number;
}

export interface UploadMode {
  keyring: Keyring;
  /** the link secret, for SSE-C and the share link; null for a request's file */
  secret: Uint8Array | null;
  /** whether startUpload must clear the secret when done with it (not the set's) */
  ownsSecret: boolean;
  password: boolean;
  requestId?: string;
  setId?: string;
  dataContext(id: string): EncryptionContext;
  /** the sealed meta object for a data message, or null when there is none (a set's blob) */
  sealMeta: ((id: string, dataMessageId: Uint8Array) => Promise<Uint8Array<ArrayBuffer>>) | null;
  /** what, beside the part layout and meta size, the create call says */
  createFields: CreateFields;
}

type MetaFields = Omit<FileMeta, 'dataMessageId'>;
/** What the create call says beside the layout (contract/schemas.ts createUploadBody). */
type CreateFields = Pick<CreateUploadRequest, 'expiresInSeconds' | 'requestId' | 'setId' | 'setTicket'>;

export async function uploadMode(fields: MetaFields, options: ModeOptions): Promise<UploadMode> {
  const { request, set } = options;
  if (set) {
    return {
      keyring: set.keyring,
      secret: set.secret,
      ownsSecret: false,
      password: set.password,
      setId: set.id,
      dataContext: set.context,
      sealMeta: null,
      createFields: { setId: set.id, setTicket: set.ticket },
    };
  }
  if (request) {
    const meta = { ...fields, ...(request.message ? { message: request.message } : {}) };
    return {
      keyring: request.keyring,
      secret: null,
      ownsSecret: false,
      password: false,
      requestId: request.id,
      dataContext: (id) => objectContext(id, 'data', request.id),
      sealMeta: (id, messageId) => sealMeta(request.keyring, id, { ...meta, dataMessageId: toBase64Url(messageId) }, request.id),
      createFields: { requestId: request.id },
    };
  }
  const secret = newLinkSecret();
  const params = options.password === undefined ? null : newPasswordParams();
  const keyring = await linkKey(secret, options.password, params);
  return {
    keyring,
    secret,
    ownsSecret: true,
    password: params !== null,
    dataContext: (id) => objectContext(id, 'data'),
    sealMeta: (id, messageId) => sealMeta(keyring, id, { ...fields, dataMessageId: toBase64Url(messageId) }),
    createFields: { expiresInSeconds: options.expiresInSeconds },
  };
}

/** Ids are always this long; sizes computed under a stand-in id hold for the real one. */
export const STAND_IN_ID = 'x'.repeat(22);

/** The meta object's size before the id it is sealed under exists (ids have one length), or 0 without one. */
export async function plannedMetaSize(mode: UploadMode): Promise<number> {
  return mode.sealMeta ? (await mode.sealMeta(STAND_IN_ID, new Uint8Array(MESSAGE_ID_LENGTH))).byteLength : 0;
}
