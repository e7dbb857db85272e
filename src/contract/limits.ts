/**
 * Every size and limit the page, the CLI and the server agree on. S3's own limits first, then
 * Cipherdrop's. One definition each: both sides import them from here.
 */
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/** S3: every part but the last is at least this large. */
export const MIN_PART_SIZE = 5 * MiB;
/** S3: no part is larger than this. */
export const MAX_PART_SIZE = 5 * GiB;
/** S3: part numbers run 1…MAX_PARTS. */
export const MAX_PARTS = 10_000;
/** S3: the largest object. */
export const MAX_OBJECT_SIZE = 5 * TiB;

/** The meta object (an encrypted name, type, size and time) is a few hundred bytes; this is its hard cap. */
export const MAX_META_SIZE = 64 * KiB;
/** The data object's message header (suite, context, one wrapped key, IV, tag) is a few hundred bytes. */
export const MAX_HEADER_SIZE = 64 * KiB;
/** Part URLs are handed out in batches: small answers, and a bounded amount of signing per request. */
export const MAX_PARTS_PER_BATCH = 100;

export const MIN_EXPIRY_SECONDS = 60;
export const MAX_EXPIRY_SECONDS = 365 * 24 * 3600;

/**
 * An upload that has not completed within this time is abandoned: its ticket stops working and
 * the sweeper removes what it left (the unfinished multipart upload, a meta object without data).
 */
export const UNFINISHED_UPLOAD_SECONDS = 24 * 3600;
/** The meta object is PUT right after the upload is created; its URL need not live longer. */
export const META_URL_SECONDS = 15 * 60;

/** A file id: 128 random bits, base64url. The server makes them; everyone checks them with this. */
export const FILE_ID_PATTERN = '^[A-Za-z0-9_-]{22}$';
/**
 * S3 upload ids are opaque (AWS: base64-like with `.`, `_`, `-`; Ceph RGW: `2~…`). Never a path:
 * no `/`, and not `.` or `..` alone, since some stores (s3rver) keep parts in a folder named by it.
 */
export const UPLOAD_ID_PATTERN = '^(?!\\.{1,2}$)[A-Za-z0-9._~+=-]{1,1024}$';

/**
 * File requests (docs/REQUESTS.md). The request key is RSA-OAEP with a 4096-bit modulus and
 * e = 65537; its SPKI DER is 550 bytes, so anything over MAX_PUBLIC_KEY_SIZE is not one.
 */
export const REQUEST_KEY_BITS = 4096;
export const REQUEST_KEY_EXPONENT = 65537;
export const MAX_PUBLIC_KEY_SIZE = 1 * KiB;
/** The sealed private key: a PKCS#8 RSA-4096 key (~2.4 KB) in an ESDK message under a raw AES keyring. */
export const MAX_SEALED_KEY_SIZE = 8 * KiB;
/** The sealed card: a title and a note in an ESDK message. */
export const MAX_CARD_SIZE = 8 * KiB;
/** Files one request may hold (complete and in progress); the default when the requester sets none. */
export const MAX_REQUEST_FILES = 1000;
export const DEFAULT_REQUEST_FILES = 100;
/** Bytes one request may hold (declared data sizes); the default is the largest. */
export const MAX_REQUEST_BYTES = MAX_OBJECT_SIZE;
/** A request always expires (and its files with it): a week unless the requester says otherwise. */
export const DEFAULT_REQUEST_EXPIRY_SECONDS = 7 * 24 * 3600;
/** The sender's message, inside the encrypted meta object. */
export const MAX_REQUEST_MESSAGE_LENGTH = 2000;
/** Request ids are made like file ids: 128 random bits, base64url. */
export const REQUEST_ID_PATTERN = FILE_ID_PATTERN;

/**
 * Sets (docs/SETS.md): one link for many files, stored as blobs (files packed, or one large file
 * each) and one sealed manifest. The manifest is read whole by the recipient's page.
 */
export const SET_ID_PATTERN = FILE_ID_PATTERN;
export const MAX_SET_MANIFEST_SIZE = 16 * MiB;
/**
 * Blob uploads one set may hold (started or complete). Files under 4 MiB share blobs of up to
 * 16 MiB (crypto/set-plan.ts), so this is reached only by 10 000 files of 4 MiB or more (or 40 000
 * just under it); it bounds a set's answer (one presigned URL a blob, ~5 MB of JSON) and the work
 * of counting a set's blobs at each upload.
 */
export const MAX_SET_BLOBS = 10_000;
/** The manifest is PUT once its blobs are complete; its URL need not live longer than the meta object's. */
export const MANIFEST_URL_SECONDS = META_URL_SECONDS;
