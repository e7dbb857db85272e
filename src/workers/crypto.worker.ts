/// <reference lib="webworker" />
/**
 * The crypto worker: file reads, frame sealing/opening and the HTTP transfer of one part or
 * range all happen here, keeping the page's thread free. Parallelism comes from several
 * workers (Chromium charges AES-GCM to the calling thread).
 */
import { reviveError, serializeError, TransferError } from '../errors.ts';
import { decryptRange, encryptPart, type RecordDigest, type SignedUrl, type SignPart } from '../transfer/parts.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

const running = new Map<number, AbortController>();
const signings = new Map<number, { resolve(signed: SignedUrl): void; reject(error: Error): void }>();
const recordings = new Map<number, { resolve(): void; reject(error: Error): void }>();

/** Asks the page to sign request `id`'s part (only the page talks to the API). */
const signPart =
  (id: number): SignPart =>
  (checksum) =>
    new Promise<SignedUrl>((resolve, reject) => {
      signings.set(id, { resolve, reject });
      self.postMessage({ id, signPart: true, checksum } satisfies FromWorker);
    });

/** Asks the page to record (and save) request `id`'s plaintext digest before the part is sent. */
const recordDigest =
  (id: number): RecordDigest =>
  (digest) =>
    new Promise<void>((resolve, reject) => {
      recordings.set(id, { resolve, reject });
      self.postMessage({ id, plainDigest: digest } satisfies FromWorker);
    });

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'abort') {
    running.get(message.id)?.abort();
    return;
  }
  if (message.type === 'url') {
    const signing = signings.get(message.id);
    signings.delete(message.id);
    if (message.signed) signing?.resolve(message.signed);
    else signing?.reject(message.error ? reviveError(message.error) : new TransferError('Network', 'No upload link'));
    return;
  }
  if (message.type === 'recorded') {
    const recording = recordings.get(message.id);
    recordings.delete(message.id);
    if (message.error) recording?.reject(reviveError(message.error));
    else recording?.resolve();
    return;
  }
  const controller = new AbortController();
  running.set(message.id, controller);
  try {
    if (message.type === 'encryptPart') {
      const reply = await encryptPart(message.payload, controller.signal, signPart(message.id), recordDigest(message.id));
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
