/**
 * The life of one file in the upload queue, as a discriminated union and one pure transition
 * function, so impossible states cannot be written and every branch is unit-tested.
 *
 *   queued ──start──▶ preparing ──prepared──▶ uploading ──completing──▶ completing ──done──▶ done
 *     │                   │                      │  ▲                       │
 *     │                   │                 pause│  │resume (→ queued)      │
 *     │                   │                      ▼  │                       │
 *     └──pause──────────────────────────────▶ paused                        │
 *   any live state ──fail──▶ failed ──retry──▶ queued
 *   queued, preparing, uploading, paused, failed ──cancel──▶ cancelled
 *
 * `preparing` is the short setup of a file: deriving keys (a second with a password), starting
 * the multipart upload and sealing the file details. Parts are then sealed and sent together, in
 * `uploading`. A resumed file goes back to `queued` and waits for its turn like any other.
 * `completing` cannot be cancelled: the store may already have made the object, and aborting then
 * would leave it without its details; the page offers "Delete now" once it is done.
 */
import type { Progress } from '../transfer/speed.ts';
import type { UploadResult } from './uploader.ts';

export type UploadState =
  | { state: 'queued'; progress: Progress | null }
  | { state: 'preparing' }
  | { state: 'uploading'; progress: Progress }
  | { state: 'paused'; progress: Progress | null }
  | { state: 'completing' }
  | { state: 'done'; result: UploadResult }
  | { state: 'failed'; message: string; progress: Progress | null }
  | { state: 'cancelled' };

export type StateName = UploadState['state'];

export type UploadEvent =
  | { type: 'start' }
  | { type: 'prepared'; progress: Progress }
  | { type: 'progress'; progress: Progress }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'completing' }
  | { type: 'done'; result: UploadResult }
  | { type: 'fail'; message: string }
  | { type: 'retry' }
  | { type: 'cancel' };

export const QUEUED: UploadState = { state: 'queued', progress: null };

const progressOf = (s: UploadState): Progress | null =>
  s.state === 'uploading' || s.state === 'paused' || s.state === 'queued' || s.state === 'failed' ? s.progress : null;

/** The next state, or the same object when the event does not apply (a late progress after pause…). */
export function transition(s: UploadState, e: UploadEvent): UploadState {
  switch (e.type) {
    case 'start':
      return s.state === 'queued' ? { state: 'preparing' } : s;
    case 'prepared':
      return s.state === 'preparing' ? { state: 'uploading', progress: e.progress } : s;
    case 'progress':
      return s.state === 'uploading' ? { state: 'uploading', progress: e.progress } : s;
    case 'pause':
      // Setup and completion are short steps that cannot stop halfway; the page offers no pause then.
      return s.state === 'queued' || s.state === 'uploading' ? { state: 'paused', progress: progressOf(s) } : s;
    case 'resume':
      return s.state === 'paused' ? { state: 'queued', progress: s.progress } : s;
    case 'completing':
      return s.state === 'uploading' ? { state: 'completing' } : s;
    case 'done':
      return s.state === 'completing' ? { state: 'done', result: e.result } : s;
    case 'fail':
      return isLive(s) ? { state: 'failed', message: e.message, progress: progressOf(s) } : s;
    case 'retry':
      return s.state === 'failed' ? { state: 'queued', progress: s.progress } : s;
    case 'cancel':
      return s.state === 'done' || s.state === 'cancelled' || s.state === 'completing' ? s : { state: 'cancelled' };
  }
}

/** States in which the file still has work going on or waiting. */
export function isLive(s: UploadState): boolean {
  return s.state === 'queued' || s.state === 'preparing' || s.state === 'uploading' || s.state === 'paused' || s.state === 'completing';
}

/** What the page may offer for a file in this state. */
export function allowed(s: UploadState): { pause: boolean; resume: boolean; cancel: boolean; retry: boolean } {
  return {
    pause: transition(s, { type: 'pause' }) !== s,
    resume: transition(s, { type: 'resume' }) !== s,
    cancel: transition(s, { type: 'cancel' }) !== s,
    retry: transition(s, { type: 'retry' }) !== s,
  };
}
