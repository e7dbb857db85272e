/** JSON schemas of every request and response; Fastify validates bodies and params with them. */
import { FILE_ID_PATTERN } from './ids.ts';

/** S3's multipart limits. */
export const MAX_PARTS = 10_000;
export const MAX_OBJECT_SIZE = 5 * 1024 ** 4;
export const MIN_PART_SIZE = 5 * 1024 ** 2;
export const MIN_EXPIRY_SECONDS = 60;
export const MAX_EXPIRY_SECONDS = 365 * 24 * 3600;
/** Part URLs are handed out in batches: small responses, and a bounded amount of signing per request. */
export const MAX_PARTS_PER_BATCH = 100;
/** S3 upload ids are opaque; real ones are ~100–200 characters. */
const UPLOAD_ID = { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[A-Za-z0-9._~+/=-]+$' } as const;
const PART_NUMBER = { type: 'integer', minimum: 1, maximum: MAX_PARTS } as const;
/** Part ETags are quoted MD5 hex on S3; other stores vary a little, so allow a conservative alphabet. */
const ETAG = { type: 'string', minLength: 1, maxLength: 128, pattern: '^"?[A-Za-z0-9-]+"?$' } as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: FILE_ID_PATTERN } },
} as const;

export const createUploadBody = {
  type: 'object',
  required: ['size', 'partCount'],
  additionalProperties: false,
  properties: {
    /** ciphertext size of the data object */
    size: { type: 'integer', minimum: 0, maximum: MAX_OBJECT_SIZE },
    partCount: PART_NUMBER,
    /** seconds until the file expires; omitted: never */
    expiresInSeconds: { type: 'integer', minimum: MIN_EXPIRY_SECONDS, maximum: MAX_EXPIRY_SECONDS },
  },
} as const;

export const partsBody = {
  type: 'object',
  required: ['uploadId', 'partNumbers'],
  additionalProperties: false,
  properties: {
    uploadId: UPLOAD_ID,
    partNumbers: { type: 'array', minItems: 1, maxItems: MAX_PARTS_PER_BATCH, uniqueItems: true, items: PART_NUMBER },
    /** base64 digests of the sealed parts, one per part number, when the server asks for them */
    checksums: { type: 'array', minItems: 1, maxItems: MAX_PARTS_PER_BATCH, items: { type: 'string', maxLength: 44 } },
  },
} as const;

export const completeBody = {
  type: 'object',
  required: ['uploadId', 'parts'],
  additionalProperties: false,
  properties: {
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

export const abortBody = {
  type: 'object',
  required: ['uploadId'],
  additionalProperties: false,
  properties: { uploadId: UPLOAD_ID },
} as const;

export interface CreateUploadRequest {
  size: number;
  partCount: number;
  expiresInSeconds?: number;
}
export interface PartsRequest {
  uploadId: string;
  partNumbers: number[];
  checksums?: string[];
}
export interface CompleteRequest {
  uploadId: string;
  parts: { partNumber: number; etag: string }[];
}
export interface AbortRequest {
  uploadId: string;
}

export const deleteBody = {
  type: 'object',
  required: ['ownerToken'],
  additionalProperties: false,
  properties: { ownerToken: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

export interface DeleteRequest {
  ownerToken: string;
}
