/// <reference lib="webworker" />
/**
 * The crypto worker: file reads, frame sealing/opening and the HTTP transfer of one part or
 * range all happen here, keeping the page's thread free. Parallelism comes from several
 * workers (Chromium charges AES-GCM to the calling thread).
 */

import { openRun, sealRun } from '../crypto/frames.ts';
import { serializeError, TransferError } from '../errors.ts';
import { expectStatus, readExactly, request } from '../transfer/http.ts';
import type { FromWorker, ToWorker, WorkerRequests } from './protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

const running = new Map<number, AbortController>();

async function encryptPart(
  { file, part, keys, header, url }: WorkerRequests['encryptPart']['request'],
  signal: AbortSignal,
): Promise<WorkerRequests['encryptPart']['reply']> {
  const plain = new Uint8Array(await file.slice(part.plainStart, part.plainEnd).arrayBuffer());
  const body = await sealRun(keys, plain, part.firstSeq, part.endsMessage, part.includesHeader ? header : undefined);
  plain.fill(0);
  if (body.byteLength !== part.cipherSize) throw new Error(`part ${part.partNumber}: sealed ${body.byteLength} bytes, planned ${part.cipherSize}`);
  const response = await request(url, { method: 'PUT', body, signal });
  await expectStatus(response, [200], `Upload of part ${part.partNumber}`);
  const etag = response.headers.get('ETag');
  if (!etag) {
    throw new TransferError('MissingETag', "The storage did not expose the part's ETag: its CORS rule needs <ExposeHeader>ETag</ExposeHeader>");
  }
  return { etag };
}

async function decryptRange(
  { url, range, keys }: WorkerRequests['decryptRange']['request'],
  signal: AbortSignal,
): Promise<WorkerRequests['decryptRange']['reply']> {
  const response = await request(url, { headers: { Range: `bytes=${range.start}-${range.end}` }, signal });
  await expectStatus(response, [206], `Download of bytes ${range.start}-${range.end}`);
  const sealed = await readExactly(response, range.end - range.start + 1);
  const plain = await openRun(keys, sealed, range.firstSeq, range.endsMessage, range.plainLength);
  return { plaintext: plain.buffer as ArrayBuffer };
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'abort') {
    running.get(message.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(message.id, controller);
  try {
    if (message.type === 'encryptPart') {
      const reply = await encryptPart(message.payload, controller.signal);
      self.postMessage({ id: message.id, ok: true, reply } satisfies FromWorker);
    } else {
      const reply = await decryptRange(message.payload, controller.signal);
      self.postMessage({ id: message.id, ok: true, reply } satisfies FromWorker, [reply.plaintext]);
    }
  } catch (error) {
    self.postMessage({
      id: message.id,
      ok: false,
      error: serializeError(controller.signal.aborted ? new TransferError('Aborted', 'Cancelled') : error),
    } satisfies FromWorker);
  } finally {
    running.delete(message.id);
  }
};
