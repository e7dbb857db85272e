/**
 * What the upload queue's users see of it (queue.ts): the options it is built with, the options a
 * file is sent with, and a file as the page shows it.
 */
import type { Api } from '../transfer/api.ts';
import type { PartRunner } from '../transfer/parts.ts';
import type { ResumeStore } from './resume-store.ts';
import type { UploadState } from './states.ts';
import type { RequestTarget, SetTarget } from './uploader.ts';

export interface QueueOptions {
  api: Api;
  runner: PartRunner;
  store: ResumeStore;
  /** the page's one mapping from errors to words (ui/messages.ts) */
  describe: (error: unknown) => string;
  partsInFlight?: number;
  filesInFlight?: number;
  /** for tests: a smaller part size makes short files span many parts */
  partPlaintextSize?: number;
  frameLength?: number;
  /**
   * The file request this queue sends to (a request link's page): it restores only its own
   * unfinished uploads, as the upload page (no request) restores only those sent to none.
   */
  requestId?: string;
}

export interface FileOptions {
  password?: string;
  expiresInSeconds?: number;
  /** send to a file request instead of making a share link (docs/REQUESTS.md) */
  request?: RequestTarget;
  /** a blob of this set (docs/SETS.md): the page shows it inside its set, not as a file of its own */
  set?: SetTarget;
}

/** A file as the page shows it. */
export interface QueueEntry {
  key: number;
  /** the path as picked (folder-relative for folder uploads) */
  path: string;
  name: string;
  size: number;
  state: UploadState;
  /** false for an unfinished upload restored after a reload, until its file is picked again */
  hasFile: boolean;
  password: boolean;
  /** something the person should know about this file, beyond its state */
  notice?: string;
  /** the set this upload is a blob of */
  setId?: string;
}
