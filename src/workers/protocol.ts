/** The worker protocol: a typed map from request names to their payloads and replies. */
import type { SerializedError } from '../errors.ts';
import type { DecryptRangeRequest, EncryptPartRequest, SignedUrl } from '../transfer/parts.ts';

export interface WorkerRequests {
  /** Read one part of the file, seal its frames, PUT it; reply with the ETag. */
  encryptPart: { request: EncryptPartRequest; reply: { etag: string } };
  /** GET one range of whole frames, authenticate and open them; reply with the plaintext. */
  decryptRange: { request: DecryptRangeRequest; reply: { plaintext: ArrayBuffer } };
}

export type RequestName = keyof WorkerRequests;

export type ToWorker =
  | { [K in RequestName]: { id: number; type: K; payload: WorkerRequests[K]['request'] } }[RequestName]
  | { id: number; type: 'abort' }
  /** the answer to a worker's signPart: a presigned URL with its signed headers, or why there is none */
  | { id: number; type: 'url'; signed?: SignedUrl; error?: SerializedError }
  /** the answer to a worker's recordDigest: saved (the part may be sent), or why not (SourceChanged…) */
  | { id: number; type: 'recorded'; error?: SerializedError };

export type FromWorker =
  | { id: number; ok: true; reply: WorkerRequests[RequestName]['reply'] }
  | { id: number; ok: false; error: SerializedError }
  /** mid-request: the part needs a URL (signed with `checksum`, or after the first one expired) */
  | { id: number; signPart: true; checksum?: string }
  /** mid-request, before the part is sent: its plaintext's SHA-256, to be recorded and saved by the page */
  | { id: number; plainDigest: Uint8Array };
