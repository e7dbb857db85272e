/**
 * One file's upload as the queue runs it (queue.ts): start or reconcile, send the parts under the
 * queue's shared limit with progress ticks and saves, complete — and what a failure means: paused
 * or cancelled (nothing to do), a changed source (start afresh), an upload the store lost (forget
 * it), or a failure the row shows.
 */
import { TransferError } from '../errors.ts';
import type { Api } from '../transfer/api.ts';
import type { Limiter } from '../transfer/limit.ts';
import type { PartRunner } from '../transfer/parts.ts';
import { SpeedMeter } from '../transfer/speed.ts';
import { fingerprint } from './fingerprint.ts';
import type { FileOptions, QueueEntry } from './queue.ts';
import type { ResumeStore } from './resume-store.ts';
import type { UploadEvent } from './states.ts';
import { bytesDone, completeUpload, reconcile, sendParts, startUpload, type UploadRecord } from './uploader.ts';

/**
 * Progress arrives per part (16 MiB); between parts the speed is sampled on this tick, so a stalled
 * connection shows a falling speed and a growing time left instead of the last good numbers.
 */
export const PROGRESS_TICK_MS = 1000;

/** A file in the queue, with what only the queue sees. */
export interface Entry extends QueueEntry {
  file: File | null;
  options: FileOptions;
  record: UploadRecord | null;
  controller: AbortController | null;
  /** the running upload, while there is one */
  running: Promise<void> | null;
  /** saves happen in order */
  saving: Promise<void>;
}

/** What a run needs of its queue. */
export interface RunContext {
  api: Api;
  runner: PartRunner;
  store: ResumeStore;
  limiter: Limiter;
  describe: (error: unknown) => string;
  partPlaintextSize?: number;
  frameLength?: number;
  /** applies a state event to the entry; false when it did not apply */
  apply(entry: Entry, event: UploadEvent): boolean;
  /** saves the entry's record (in order); `forgetOnFailure` for a new part digest */
  save(entry: Entry, forgetOnFailure?: boolean): Promise<void>;
  /** the file is not the one its upload sealed: queue it again as a new upload */
  startAfresh(entry: Entry, file: File, why: TransferError): Promise<void>;
}

export async function runUpload(entry: Entry, file: File, context: RunContext): Promise<void> {
  const { runner, store, api } = context;
  const controller = new AbortController();
  entry.controller = controller;
  const signal = controller.signal;
  context.apply(entry, { type: 'start' });
  try {
    if (entry.record) {
      entry.record = await reconcile(entry.record, api, signal);
    } else {
      entry.record = await startUpload(
        { blob: file, name: file.name, type: file.type, lastModified: file.lastModified },
        {
          api,
          signal,
          password: entry.options.password || undefined,
          expiresInSeconds: entry.options.expiresInSeconds,
          request: entry.options.request,
          set: entry.options.set,
          fingerprint: await fingerprint(file, file.lastModified),
          partPlaintextSize: context.partPlaintextSize,
          frameLength: context.frameLength,
        },
      );
    }
    const record = entry.record;
    await context.save(entry);
    const resumedAt = bytesDone(record);
    const meter = new SpeedMeter(file.size, resumedAt);
    context.apply(entry, { type: 'prepared', progress: meter.reading(resumedAt) });
    const tick = setInterval(() => context.apply(entry, { type: 'progress', progress: meter.sample(bytesDone(record)) }), PROGRESS_TICK_MS);
    try {
      await sendParts(record, file, {
        api,
        runner,
        limiter: context.limiter,
        signal,
        onPart: (r) => {
          void context.save(entry);
          context.apply(entry, { type: 'progress', progress: meter.sample(bytesDone(r)) });
        },
        onDigest: () => context.save(entry, true),
      });
    } finally {
      clearInterval(tick);
    }
    context.apply(entry, { type: 'completing' });
    await entry.saving;
    const result = await completeUpload(record, api, signal);
    entry.record = null;
    await store.remove(result.id).catch(() => undefined);
    context.apply(entry, { type: 'done', result });
  } catch (error) {
    // Paused or cancelled: the state already says so (cancel cleans up after this returns).
    // The record of every acknowledged part is saved before the run ends.
    if (signal.aborted) return void (await entry.saving);
    if (error instanceof TransferError && error.code === 'SourceChanged') {
      // A part's bytes differ from those it was first sent with (part-digest.ts).
      return context.startAfresh(entry, file, error);
    }
    if (error instanceof TransferError && (error.apiCode === 'UploadNotFound' || error.code === 'NotFound') && entry.record) {
      // The store no longer has this upload (aborted by a lifecycle rule, or deleted): a retry starts afresh.
      await store.remove(entry.record.id).catch(() => undefined);
      entry.record = null;
    }
    context.apply(entry, { type: 'fail', message: context.describe(error) });
  }
}
