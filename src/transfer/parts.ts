/**
 * The work of one part: read, seal, PUT (upload/send-part.ts); a range's, GET and open, is
 * ranges.ts. Runs in a browser worker (workers/serve.ts) and directly in Node (the CLI), so both
 * share every check.
 */
import { aesGcmSealer } from '../upload/sealer.ts';
import { type SendPartContext, type SendPartRequest, sendPart } from '../upload/send-part.ts';
import type { Api } from './api.ts';

/**
 * Where parts are processed: a worker pool in the page, the same thread in Node. The part path
 * (sealing, signing, the PUT and its retries) is upload/send-part.ts.
 */
export interface PartRunner {
  sendPart(request: SendPartRequest, context: RunnerContext): Promise<{ etag: string }>;
}

/**
 * A part's context as the uploader gives it. The runner brings the sealer; a worker makes its own
 * API client from `api.endpoint`, plain data that can be posted to it.
 */
export type RunnerContext = Omit<SendPartContext, 'api' | 'sealer'> & { api: Pick<Api, 'partUrls' | 'endpoint'> };

/** Node, or tests: no workers; WebCrypto in Node already runs on its own thread pool. */
export const directRunner: PartRunner = { sendPart: (request, context) => sendPart(request, { ...context, sealer: aesGcmSealer }) };
