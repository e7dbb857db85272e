/**
 * The worker protocol: typed maps from request names to their payloads and replies, one for what
 * the page asks of a worker and one for what a worker asks of the page in the middle of a request.
 *
 *   page → worker   { id, type, payload }                 a request (WorkerRequests)
 *   page → worker   { id, type: 'abort' }                 the request's signal fired
 *   worker → page   { id, ask, payload }                  mid-request, a question (PageRequests)
 *   page → worker   { id, type: 'answer', ask, error? }   its answer (PageRequests[ask].reply)
 *   worker → page   { id, ok: true, reply, keptBody? } | { id, ok: false, error }   the request's end
 *
 * Errors travel serialized (errors.ts) and come back as the same classes with the same codes.
 */
import type { SerializedError } from '../errors.ts';
import type { ApiEndpoint } from '../transfer/api.ts';
import type { DecryptFramesRequest } from '../transfer/ranges.ts';
import type { SendPartRequest } from '../upload/send-part.ts';

export interface WorkerRequests {
  /**
   * Read one part of the file, seal it, sign and PUT it under the retry policy; reply with the
   * ETag. The worker signs again itself, with an API client made from `endpoint`.
   */
  sendPart: { request: SendPartRequest & { endpoint: ApiEndpoint }; reply: { etag: string } };
  /**
   * GET one run of whole frames, authenticate and open them; reply with the buffer whose first
   * `run.plainLength` bytes are the plaintext (transferred): `into` where it is large enough.
   */
  decryptFrames: { request: DecryptFramesRequest; reply: { plaintext: ArrayBuffer } };
}

export interface PageRequests {
  /**
   * During sendPart, before the part's first PUT: record the digest of its sealed frames' tags in
   * the upload record and save it (part-digest.ts). The answer comes once it is saved, and only then
   * may the part be sent; an error (SourceChanged: other bytes than those first sent) fails the part.
   */
  recordDigest: { request: { digest: Uint8Array }; reply: undefined };
}

export type RequestName = keyof WorkerRequests;
export type AskName = keyof PageRequests;

export type ToWorker =
  | { [K in RequestName]: { id: number; type: K; payload: WorkerRequests[K]['request'] } }[RequestName]
  | { id: number; type: 'abort' }
  | { [K in AskName]: { id: number; type: 'answer'; ask: K; reply?: PageRequests[K]['reply']; error?: SerializedError } }[AskName];

export type FromWorker =
  | {
      id: number;
      ok: true;
      reply: WorkerRequests[RequestName]['reply'];
      /** the request's body stays in this worker's memory until the worker ends (a part sent from memory: pool.ts) */
      keptBody?: boolean;
    }
  | { id: number; ok: false; error: SerializedError }
  | { [K in AskName]: { id: number; ask: K; payload: PageRequests[K]['request'] } }[AskName];

/** How the page answers a worker's questions during one request. */
export type PageHandlers = { [K in AskName]?: (payload: PageRequests[K]['request']) => Promise<PageRequests[K]['reply']> };
