/** Shapes of the presign API's JSON responses, shared by the server, the page and the tests. */

/**
 * How each part PUT proves its bytes to the store (server setting PART_CHECKSUM): the client
 * hashes the sealed part, the server signs the digest into the part's presigned URL as a header,
 * and a store that checks it refuses a part damaged on the way (400 BadDigest). AWS S3 checks both;
 * Ceph RGW 16 checks only Content-MD5; s3rver checks neither (README "Per-part integrity").
 */
export type PartChecksum = 'sha256' | 'md5';
export const PART_CHECKSUMS: readonly PartChecksum[] = ['sha256', 'md5'];
export const PART_CHECKSUM_HEADER: Record<PartChecksum, string> = { sha256: 'x-amz-checksum-sha256', md5: 'content-md5' };
/** base64 of the digest: 32 bytes for SHA-256, 16 for MD5 */
export const PART_CHECKSUM_PATTERN: Record<PartChecksum, RegExp> = { sha256: /^[A-Za-z0-9+/]{43}=$/, md5: /^[A-Za-z0-9+/]{22}==$/ };

export interface CreateUploadResponse {
  id: string;
  /** null when the browser must create the multipart upload itself (SSE-C: only it has the key) */
  uploadId: string | null;
  /** with uploadId null: POST here with these headers (signed) plus the SSE-C key headers */
  create?: { url: string; headers: Record<string, string> };
  /** true: send the SSE-C key headers (derived from the link secret) with every store request */
  customerKey: boolean;
  /** presigned PUT for the meta object; absent for a set's blob, which has none */
  metaUrl?: string;
  /** headers to send with that PUT, exactly (they are signed); absent with metaUrl */
  metaHeaders?: Record<string, string>;
  /**
   * Present when the server signs part URLs in batches ahead (`partChecksum` null) and made the
   * multipart upload itself (`uploadId` not null, so not under SSE-C): the URLs of parts
   * 1…min(partCount, MAX_PARTS_PER_BATCH), each bound to its exact byte count, as POST …/parts
   * would sign them. A file of up to one batch of parts then needs no …/parts call.
   */
  partUrls?: PartUrlsResponse['urls'];
  /** ms since epoch, or null for no expiry */
  expiresAt: number | null;
  /** lets the uploader delete the file early (POST /api/files/:id/delete) or abort it; keep it private */
  ownerToken: string;
  /** shown back on every later call for this upload (parts, uploaded, complete); opaque to the client */
  ticket: string;
  /** ms since epoch: after this the ticket no longer works, and the unfinished upload is swept */
  resumableUntil: number;
  /** null: part URLs are signed in batches ahead; else each part is signed with its checksum once sealed */
  partChecksum: PartChecksum | null;
}

/** The answer for a share link's or a request's file: it has a meta object (a set's blob has none). */
export type CreateFileUploadResponse = CreateUploadResponse & Required<Pick<CreateUploadResponse, 'metaUrl' | 'metaHeaders'>>;

export interface PartUrlsResponse {
  /** `headers`: signed into the URL (the part's checksum); the PUT must send them exactly */
  urls: { partNumber: number; url: string; headers?: Record<string, string> }[];
}

/** The parts the store already holds for an unfinished upload (for resuming it). */
export interface UploadedPartsResponse {
  /** false: the store cannot list parts (s3rver); the client relies on what it recorded itself */
  supported: boolean;
  parts: { partNumber: number; etag: string; size: number }[];
}

export interface FileInfoResponse {
  /** ciphertext size of the data object */
  size: number;
  /** when the file expires (ms since epoch), or null */
  expiresAt: number | null;
  dataUrl: string;
  metaUrl: string;
  /** true: the objects are SSE-C encrypted; GETs must carry the key headers */
  customerKey: boolean;
  /** seconds the URLs stay valid */
  expiresIn: number;
}

export interface ApiErrorResponse {
  error: { code: string; message: string };
}

export interface AbortUploadResponse {
  /** false when the store has no AbortMultipartUpload (s3rver): its parts stay until a lifecycle rule removes them */
  multipartAborted: boolean;
}

/** What the page needs to know about this server. */
export interface PublicConfigResponse {
  /** false: uploads need an access token */
  openUploads: boolean;
  /** the operator's "report abuse" address (mailto: or https:), or null */
  abuseContact: string | null;
}

/** The SSE-C headers' names (S3's), shared by the server's signer and the clients. */
export const SSE_C_HEADERS = {
  algorithm: 'x-amz-server-side-encryption-customer-algorithm',
  key: 'x-amz-server-side-encryption-customer-key',
  keyMd5: 'x-amz-server-side-encryption-customer-key-md5',
} as const;
