/**
 * Sets (docs/SETS.md "API"): one link for many files. The JSON schemas of the set routes' bodies
 * and path parameters (the server validates with them), and the bodies' and answers' types.
 * Blobs are uploaded with `POST /api/uploads` and `setId` + `setTicket` (contract/schemas.ts).
 */
import { FILE_ID_PATTERN, MAX_EXPIRY_SECONDS, MAX_SET_BLOBS, MAX_SET_MANIFEST_SIZE, MIN_EXPIRY_SECONDS, SET_ID_PATTERN } from './limits.ts';

/** A set ticket (server/tickets.ts): base64url claims, a dot, a base64url HMAC-SHA256. */
export const SET_TICKET = { type: 'string', maxLength: 512, pattern: '^[A-Za-z0-9_-]{1,460}\\.[A-Za-z0-9_-]{43}$' } as const;

export const setParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: SET_ID_PATTERN } },
} as const;

export const createSetBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    /** seconds until the set (every blob and the manifest) expires; omitted: never, as for a file */
    expiresInSeconds: { type: 'integer', minimum: MIN_EXPIRY_SECONDS, maximum: MAX_EXPIRY_SECONDS },
  },
} as const;

export const setManifestBody = {
  type: 'object',
  required: ['ticket', 'size'],
  additionalProperties: false,
  properties: {
    ticket: SET_TICKET,
    /** the sealed manifest's exact byte count */
    size: { type: 'integer', minimum: 1, maximum: MAX_SET_MANIFEST_SIZE },
  },
} as const;

export const completeSetBody = {
  type: 'object',
  required: ['ticket', 'blobs'],
  additionalProperties: false,
  properties: {
    ticket: SET_TICKET,
    /** the blob ids the manifest names, in its order */
    blobs: { type: 'array', minItems: 1, maxItems: MAX_SET_BLOBS, uniqueItems: true, items: { type: 'string', pattern: FILE_ID_PATTERN } },
  },
} as const;

export const deleteSetBody = {
  type: 'object',
  required: ['ownerToken'],
  additionalProperties: false,
  properties: { ownerToken: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

export interface CreateSetBody {
  expiresInSeconds?: number;
}

export interface CreateSetResponse {
  id: string;
  /** deletes the whole set (POST /api/sets/:id/delete); stays with the uploader, never in the link */
  ownerToken: string;
  /** shown when each blob upload is created, for the manifest URL and to complete; opaque to the client */
  ticket: string;
  /** ms since epoch, or null for no expiry */
  expiresAt: number | null;
  /** ms since epoch: the set must be complete by then (the ticket stops working, the sweeper removes it) */
  resumableUntil: number;
}

export interface SetManifestRequest {
  ticket: string;
  size: number;
}

/** A presigned PUT of exactly `size` bytes (15 minutes); send `headers` exactly (they are signed). */
export interface SetManifestUrlResponse {
  url: string;
  headers: Record<string, string>;
}

export interface CompleteSetRequest {
  ticket: string;
  blobs: string[];
}

export interface CompleteSetResponse {
  id: string;
  expiresAt: number | null;
}

export interface DeleteSetRequest {
  ownerToken: string;
}

/** `GET /api/sets/:id`: complete sets only. Every URL is a presigned GET, forced to an octet-stream attachment. */
export interface SetInfoResponse {
  /** ms since epoch, or null */
  expiresAt: number | null;
  /** true: the objects are SSE-C encrypted; GETs must carry the key headers (derived from the set's link secret) */
  customerKey: boolean;
  /** seconds the URLs stay valid */
  expiresIn: number;
  /** `size`: the sealed manifest's bytes */
  manifest: { url: string; size: number };
  /** in the order the uploader completed them; `size`: ciphertext bytes of the blob's data object */
  blobs: { id: string; size: number; url: string }[];
}

/**
 * The API error codes of sets, for the clients' messages: SetNotFound (404: unknown, unfinished or
 * deleted), SetExpired (410), SetIncomplete (409: complete before every listed blob and the
 * manifest are there), SetFull (413: MAX_SET_BLOBS). Blob or manifest calls on a complete set are
 * 409 `AlreadyComplete`.
 */
export type SetErrorCode = 'SetNotFound' | 'SetExpired' | 'SetIncomplete' | 'SetFull';
