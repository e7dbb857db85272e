/**
 * File requests (docs/REQUESTS.md "API"): the JSON schemas of their request bodies and path
 * parameters (the server validates with them), and the bodies' and answers' types. Binary values
 * (the public key, the sealed private key, the card) travel as unpadded base64url.
 */
import type { FileInfoResponse } from './api.ts';
import {
  FILE_ID_PATTERN,
  MAX_CARD_SIZE,
  MAX_EXPIRY_SECONDS,
  MAX_PUBLIC_KEY_SIZE,
  MAX_REQUEST_BYTES,
  MAX_REQUEST_FILES,
  MAX_SEALED_KEY_SIZE,
  MIN_EXPIRY_SECONDS,
  REQUEST_ID_PATTERN,
} from './limits.ts';

/** Unpadded base64url of at most `bytes` bytes (the server checks the decoded length again). */
const base64url = (bytes: number) => ({ type: 'string', minLength: 1, maxLength: Math.ceil((bytes * 4) / 3), pattern: '^[A-Za-z0-9_-]+$' }) as const;

export const requestParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: REQUEST_ID_PATTERN } },
} as const;

export const requestFileParams = {
  type: 'object',
  required: ['id', 'fileId'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: REQUEST_ID_PATTERN }, fileId: { type: 'string', pattern: FILE_ID_PATTERN } },
} as const;

export const createRequestBody = {
  type: 'object',
  required: ['publicKey', 'sealedPrivateKey', 'card'],
  additionalProperties: false,
  properties: {
    /** SPKI DER of an RSA-4096 key with e = 65537 */
    publicKey: base64url(MAX_PUBLIC_KEY_SIZE),
    /** opaque to the server: the private key sealed under the inbox secret */
    sealedPrivateKey: base64url(MAX_SEALED_KEY_SIZE),
    /** opaque to the server: the title and note sealed under the card secret */
    card: base64url(MAX_CARD_SIZE),
    /** omitted: DEFAULT_REQUEST_EXPIRY_SECONDS */
    expiresInSeconds: { type: 'integer', minimum: MIN_EXPIRY_SECONDS, maximum: MAX_EXPIRY_SECONDS },
    /** omitted: DEFAULT_REQUEST_FILES */
    maxFiles: { type: 'integer', minimum: 1, maximum: MAX_REQUEST_FILES },
    /** omitted: MAX_REQUEST_BYTES */
    maxBytes: { type: 'integer', minimum: 1, maximum: MAX_REQUEST_BYTES },
  },
} as const;

export interface CreateRequestBody {
  publicKey: string;
  sealedPrivateKey: string;
  card: string;
  expiresInSeconds?: number;
  maxFiles?: number;
  maxBytes?: number;
}

export interface CreateRequestResponse {
  id: string;
  /** the request's owner token: `Authorization: Bearer …` on the owner routes; keep it private */
  ownerToken: string;
  /** ms since epoch */
  expiresAt: number;
  /** base64url SHA-256 of the SPKI DER, as the server computed it */
  fingerprint: string;
  /** the limits in force (the defaults where the body gave none) */
  maxFiles: number;
  maxBytes: number;
}

/** `open` takes files; `closed` (by its owner) and `expired` do not (uploads get 410). */
export type RequestState = 'open' | 'closed' | 'expired';

/** What a sender's page sees: `GET /api/requests/:id`, answered 200 in every state. */
export interface RequestInfoResponse {
  /** base64url SPKI DER; the page checks its fingerprint against the link's */
  publicKey: string;
  /** base64url sealed card */
  card: string;
  state: RequestState;
  /** ms since epoch */
  expiresAt: number;
  maxFiles: number;
  maxBytes: number;
  /** complete files only */
  filesReceived: number;
  bytesReceived: number;
  /** what is still free: the limits less every file it holds, uploads in progress included */
  filesLeft: number;
  bytesLeft: number;
}

export interface InboxFile {
  id: string;
  /** ciphertext size of the data object */
  size: number;
  /** when the upload completed (ms since epoch), as the store says; null where it does not */
  receivedAt: number | null;
}

/**
 * `GET /api/requests/:id/inbox` (owner): the request as its public page sees it (without the
 * counts), its sealed private key, and its complete files only, oldest first.
 */
export interface InboxResponse extends Pick<RequestInfoResponse, 'publicKey' | 'card' | 'state' | 'expiresAt' | 'maxFiles' | 'maxBytes'> {
  /** base64url; opened with the inbox secret, in the page only */
  sealedPrivateKey: string;
  files: InboxFile[];
}

/** `GET /api/requests/:id/files/:fileId` (owner): as `GET /api/files/:id`; never SSE-C. */
export type RequestFileResponse = FileInfoResponse;

export interface DeletedResponse {
  deleted: true;
}

export interface ClosedResponse {
  closed: true;
}

/** The API error codes of file requests, for the clients' messages. */
export type RequestErrorCode = 'RequestNotFound' | 'RequestClosed' | 'RequestExpired' | 'RequestFull' | 'BadPublicKey';
