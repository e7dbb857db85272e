/**
 * JSON schemas of every API request body and path parameter (the server validates with them),
 * and the request types they describe (the clients build them). Unknown fields are refused.
 */
import {
  FILE_ID_PATTERN,
  MAX_EXPIRY_SECONDS,
  MAX_HEADER_SIZE,
  MAX_META_SIZE,
  MAX_OBJECT_SIZE,
  MAX_PART_SIZE,
  MAX_PARTS,
  MAX_PARTS_PER_BATCH,
  MIN_EXPIRY_SECONDS,
  REQUEST_ID_PATTERN,
  SET_ID_PATTERN,
  UPLOAD_ID_PATTERN,
} from './limits.ts';
import { SET_TICKET } from './sets.ts';

const UPLOAD_ID = { type: 'string', pattern: UPLOAD_ID_PATTERN } as const;
const PART_NUMBER = { type: 'integer', minimum: 1, maximum: MAX_PARTS } as const;
/** Part ETags are quoted MD5 hex on S3; other stores vary a little, so allow a conservative alphabet. */
const ETAG = { type: 'string', minLength: 1, maxLength: 128, pattern: '^"?[A-Za-z0-9-]+"?$' } as const;
/** An upload ticket (server/tickets.ts): base64url claims, a dot, a base64url HMAC-SHA256. */
const TICKET = { type: 'string', maxLength: 2048, pattern: '^[A-Za-z0-9_-]{1,2000}\\.[A-Za-z0-9_-]{43}$' } as const;
const OWNER_TOKEN = { type: 'string', minLength: 1, maxLength: 128 } as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: FILE_ID_PATTERN } },
} as const;

export const createUploadBody = {
  type: 'object',
  required: ['size', 'partCount', 'partSize', 'headerSize', 'metaSize'],
  additionalProperties: false,
  properties: {
    /** the data object's size (ciphertext); with the next three, the part layout (contract/layout.ts) */
    size: { type: 'integer', minimum: 0, maximum: MAX_OBJECT_SIZE },
    partCount: PART_NUMBER,
    partSize: { type: 'integer', minimum: 0, maximum: MAX_PART_SIZE },
    headerSize: { type: 'integer', minimum: 0, maximum: MAX_HEADER_SIZE },
    /** the meta object's exact size; 0 for a set's blob (it has none), and only then */
    metaSize: { type: 'integer', minimum: 0, maximum: MAX_META_SIZE },
    /** seconds until the file expires; omitted: never. Not with requestId (the request's expiry is the file's) */
    expiresInSeconds: { type: 'integer', minimum: MIN_EXPIRY_SECONDS, maximum: MAX_EXPIRY_SECONDS },
    /** send the file to this file request (docs/REQUESTS.md): no upload token needed, the request's limits apply */
    requestId: { type: 'string', pattern: REQUEST_ID_PATTERN },
    /**
     * a blob of this set (docs/SETS.md), with the set's ticket: both or neither; not with requestId
     * or expiresInSeconds (the set's expiry is the blob's)
     */
    setId: { type: 'string', pattern: SET_ID_PATTERN },
    setTicket: SET_TICKET,
  },
} as const;

export const partsBody = {
  type: 'object',
  required: ['ticket', 'uploadId', 'partNumbers'],
  additionalProperties: false,
  properties: {
    ticket: TICKET,
    uploadId: UPLOAD_ID,
    partNumbers: { type: 'array', minItems: 1, maxItems: MAX_PARTS_PER_BATCH, uniqueItems: true, items: PART_NUMBER },
    /** base64 digests of the sealed parts, one per part number, when the server asks for them */
    checksums: { type: 'array', minItems: 1, maxItems: MAX_PARTS_PER_BATCH, items: { type: 'string', maxLength: 44 } },
  },
} as const;

export const completeBody = {
  type: 'object',
  required: ['ticket', 'uploadId', 'parts'],
  additionalProperties: false,
  properties: {
    ticket: TICKET,
    uploadId: UPLOAD_ID,
    parts: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_PARTS,
      items: {
        type: 'object',
        required: ['partNumber', 'etag'],
        additionalProperties: false,
        properties: { partNumber: PART_NUMBER, etag: ETAG },
      },
    },
  },
} as const;

export const uploadedBody = {
  type: 'object',
  required: ['ticket', 'uploadId'],
  additionalProperties: false,
  properties: { ticket: TICKET, uploadId: UPLOAD_ID },
} as const;

export const abortBody = {
  type: 'object',
  required: ['ownerToken', 'uploadId'],
  additionalProperties: false,
  /** `ticket`: the upload's (even expired); it says which file request an upload belongs to */
  properties: { ownerToken: OWNER_TOKEN, uploadId: UPLOAD_ID, ticket: TICKET },
} as const;

export const deleteBody = {
  type: 'object',
  required: ['ownerToken'],
  additionalProperties: false,
  properties: { ownerToken: OWNER_TOKEN },
} as const;

export interface CreateUploadRequest {
  size: number;
  partCount: number;
  partSize: number;
  headerSize: number;
  metaSize: number;
  expiresInSeconds?: number;
  requestId?: string;
  /** with setTicket: a blob of that set (metaSize 0) */
  setId?: string;
  setTicket?: string;
}
export interface PartsRequest {
  ticket: string;
  uploadId: string;
  partNumbers: number[];
  checksums?: string[];
}
export interface CompleteRequest {
  ticket: string;
  uploadId: string;
  parts: { partNumber: number; etag: string }[];
}
export interface UploadedRequest {
  ticket: string;
  uploadId: string;
}
export interface AbortRequest {
  ownerToken: string;
  uploadId: string;
  ticket?: string;
}
export interface DeleteRequest {
  ownerToken: string;
}
