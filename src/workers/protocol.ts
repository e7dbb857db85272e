/** The worker protocol: a typed map from request names to their payloads and replies. */
import type { SerializedError } from '../errors.ts';
import type { DecryptRangeRequest, EncryptPartRequest } from '../transfer/parts.ts';

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
  /** the answer to a worker's renewUrl: a fresh presigned URL, or why there is none */
  | { id: number; type: 'url'; url?: string; error?: SerializedError };

export type FromWorker =
  | { id: number; ok: true; reply: WorkerRequests[RequestName]['reply'] }
  | { id: number; ok: false; error: SerializedError }
  /** mid-request: the part's URL expired; the page asks the API for a fresh one */
  | { id: number; renewUrl: true };
