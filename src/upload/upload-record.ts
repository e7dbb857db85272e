/**
 * What an upload is made of, apart from how it runs (uploader.ts): its source, the options it
 * starts and runs with, the record kept to resume it after a reload, and what a finished one gives.
 */
import type { PartChecksum } from '../contract/api.ts';
import type { FrameKeys } from '../crypto/frames.ts';
import type { PartPlan } from '../layout.ts';
import type { Api } from '../transfer/api.ts';
import type { PartRunner } from '../transfer/parts.ts';
import type { Fingerprint } from './fingerprint.ts';
import type { PartSealer } from './sealer.ts';
import type { RequestTarget, SetTarget } from './upload-mode.ts';

/** What is uploaded: a browser File satisfies this; the CLI builds one from fs.openAsBlob. */
export interface UploadSource {
  blob: Blob;
  name: string;
  type: string;
  lastModified: number;
}

export interface StartOptions {
  api: Api;
  /** send to this file request instead of making a share link: no link secret, password or expiry of its own */
  request?: RequestTarget;
  /** upload a blob of this set (docs/SETS.md): the set's secret and keyring, no meta object */
  set?: SetTarget;
  signal?: AbortSignal;
  /** with a password, the link alone opens nothing */
  password?: string;
  expiresInSeconds?: number;
  frameLength?: number;
  partPlaintextSize?: number;
  /** kept in the record, so a resumed upload can tell whether the file changed since */
  fingerprint?: Fingerprint;
  /** plans the parts as they are stored; AES-GCM unless the runner's workers seal otherwise (the benchmark) */
  sealer?: PartSealer;
}

export interface UploadOptions extends StartOptions {
  runner: PartRunner;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  partsInFlight?: number;
}

/**
 * An unfinished upload: what `sendParts` and `completeUpload` need, and all that is kept (in
 * IndexedDB, by the page) to resume after a reload. It holds the link secret and the content key,
 * so it never leaves the browser and is deleted when the upload is done or cancelled. Resuming
 * seals the same frames with the same key and IVs, which is safe only for the very same bytes:
 * `fingerprint` is how a changed file is told apart (see fingerprint.ts), and `partDigests` how a
 * part sealed before is held to its bytes (see part-digest.ts).
 */
export interface UploadRecord {
  id: string;
  uploadId: string;
  ownerToken: string;
  /** the server's signed promise about this upload (its part layout), shown on every later call */
  ticket: string;
  /** ms since epoch: the ticket stops working then, so the upload cannot be resumed after it */
  resumableUntil: number;
  expiresAt: number | null;
  /** base64url link secret; empty for a file sent to a request (its keyring is the request's public key) */
  secret: string;
  /** the file request this upload sends to */
  requestId?: string;
  /** the set this upload is a blob of */
  setId?: string;
  password: boolean;
  /** SSE-C: every store request carries the key derived from the secret */
  customerKey: boolean;
  /** the digest the server signs into each part URL, or null (URLs are then signed in batches ahead) */
  partChecksum: PartChecksum | null;
  /** the file as it was when the upload started */
  source: { name: string; type: string; size: number; lastModified: number };
  fingerprint: Fingerprint | null;
  keys: FrameKeys;
  header: Uint8Array;
  parts: PartPlan[];
  /** parts the store has acknowledged, with their ETags */
  done: { partNumber: number; etag: string }[];
  /**
   * SHA-256 of each part's frames' GCM tags as it was first sealed, part n at bytes 32(n−1) to 32n;
   * all zero for a part never sealed. Recorded and saved before the part's first PUT (part-digest.ts).
   */
  partDigests: Uint8Array;
}

export interface UploadResult {
  id: string;
  /** base64url link secret: goes only into the link's fragment */
  secret: string;
  /** the path and fragment of the share link, to be joined to the server's origin */
  linkPath: string;
  expiresAt: number | null;
  /** deletes the file early (api.deleteFile); stays with the uploader, never in the link */
  ownerToken: string;
  /** sent to this file request: there is no share link (linkPath is empty), only the requester opens it */
  requestId?: string;
  /** a blob of this set: its link is the set's (linkPath is empty) */
  setId?: string;
  /** base64url message ID of the data object (a set's manifest names each blob's) */
  messageId: string;
}
