/// <reference lib="webworker" />
/**
 * What a crypto worker does with the page's requests (protocol.ts): file reads, sealing with the
 * sealer it was started with, signing, and the HTTP transfer of one part or range all happen here,
 * keeping the page's thread free. Parallelism comes from several workers (Chromium charges
 * AES-GCM to the calling thread). crypto.worker.ts starts it with AES-GCM; the benchmark's plain
 * worker with its identity sealer.
 */
import { reviveError, serializeError, TransferError } from '../errors.ts';
import { createApi } from '../transfer/api.ts';
import { aesGcmOpener, decryptFrames, type FrameOpener } from '../transfer/ranges.ts';
import type { PartSealer } from '../upload/sealer.ts';
import { sendPart } from '../upload/send-part.ts';
import type { AskName, FromWorker, PageRequests, ToWorker } from './protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

export function serveRequests(sealer: PartSealer, opener: FrameOpener = aesGcmOpener): void {
  const running = new Map<number, AbortController>();
  /** Questions to the page awaiting its answer, by request id (a request asks one at a time). */
  const asking = new Map<number, { resolve(reply: unknown): void; reject(error: Error): void }>();

  /** Asks the page, for request `id`, and waits for its answer. */
  const ask = <K extends AskName>(id: number, name: K, payload: PageRequests[K]['request']) =>
    new Promise<PageRequests[K]['reply']>((resolve, reject) => {
      asking.set(id, { resolve: resolve as (reply: unknown) => void, reject });
      self.postMessage({ id, ask: name, payload } as FromWorker);
    });

  self.onmessage = async (event: MessageEvent<ToWorker>) => {
    const message = event.data;
    if (message.type === 'abort') {
      running.get(message.id)?.abort();
      return;
    }
    if (message.type === 'answer') {
      const question = asking.get(message.id);
      asking.delete(message.id);
      if (message.error) question?.reject(reviveError(message.error));
      else question?.resolve(message.reply);
      return;
    }
    const controller = new AbortController();
    running.set(message.id, controller);
    try {
      if (message.type === 'sendPart') {
        const { endpoint, ...request } = message.payload;
        const { etag, fromMemory } = await sendPart(request, {
          api: createApi(endpoint),
          sealer,
          recordDigest: (digest) => ask(message.id, 'recordDigest', { digest }),
          signal: controller.signal,
        });
        self.postMessage({ id: message.id, ok: true, reply: { etag }, keptBody: fromMemory } satisfies FromWorker);
      } else {
        const { buffer } = await decryptFrames(message.payload, controller.signal, opener);
        self.postMessage({ id: message.id, ok: true, reply: { plaintext: buffer } } satisfies FromWorker, [buffer]);
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
}
