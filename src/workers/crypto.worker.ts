/// <reference lib="webworker" />
/**
 * The crypto worker: file reads, frame sealing/opening and the HTTP transfer of one part or
 * range all happen here, keeping the page's thread free. Parallelism comes from several
 * workers (Chromium charges AES-GCM to the calling thread).
 */
import { reviveError, serializeError, TransferError } from '../errors.ts';
import { decryptRange, encryptPart } from '../transfer/parts.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

const running = new Map<number, AbortController>();
const renewals = new Map<number, { resolve(url: string): void; reject(error: Error): void }>();

/** Asks the page for a fresh URL for request `id` (only the page talks to the API). */
const renewUrl = (id: number) => () =>
  new Promise<string>((resolve, reject) => {
    renewals.set(id, { resolve, reject });
    self.postMessage({ id, renewUrl: true } satisfies FromWorker);
  });

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'abort') {
    running.get(message.id)?.abort();
    return;
  }
  if (message.type === 'url') {
    const renewal = renewals.get(message.id);
    renewals.delete(message.id);
    if (message.url) renewal?.resolve(message.url);
    else renewal?.reject(message.error ? reviveError(message.error) : new TransferError('Network', 'No fresh upload link'));
    return;
  }
  const controller = new AbortController();
  running.set(message.id, controller);
  try {
    if (message.type === 'encryptPart') {
      const reply = await encryptPart(message.payload, controller.signal, renewUrl(message.id));
      self.postMessage({ id: message.id, ok: true, reply } satisfies FromWorker);
    } else {
      const plaintext = await decryptRange(message.payload, controller.signal);
      self.postMessage({ id: message.id, ok: true, reply: { plaintext } } satisfies FromWorker, [plaintext]);
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
