/**
 * A set of the upload page (page-sets.ts): as the page shows it, and as the page keeps it.
 */
import type { UploadQueue } from '../upload/queue.ts';
import type { UploadRecord } from '../upload/uploader.ts';
import type { BlobResult, SavedSet } from './set-resume.ts';
import type { SetMember, StartedSet } from './upload-set.ts';

/** `unfinished`: restored after a reload, waiting for its files to be picked again. */
export type SetPhase = 'unfinished' | 'starting' | 'uploading' | 'finishing' | 'done' | 'failed' | 'cancelled';

/** A set as the page shows it. */
export interface SetView {
  key: number;
  /** the folder's name, or "N files" */
  label: string;
  files: number;
  bytes: number;
  phase: SetPhase;
  password: boolean;
  /** picked as a folder (an unfinished set asks for a folder again) */
  folder: boolean;
  /** the queue entries of its blobs */
  blobKeys: number[];
  /** bytes not in its queue entries: blobs completed in an earlier visit, and while unfinished, parts saved */
  doneBefore: number;
  /** when done: the link's path and fragment, its expiry, and the owner token that deletes it */
  linkPath?: string;
  expiresAt?: number | null;
  id?: string;
  ownerToken?: string;
  error?: string;
}

export type SetQueue = Pick<UploadQueue, 'add' | 'resumeBlob' | 'subscribe' | 'getSnapshot' | 'pause' | 'resume' | 'retry' | 'cancel'>;

/** A blob of a set: its queue key (0 while it has no entry), its source name, members, and result once complete. */
export interface PageBlob {
  key: number;
  name: string;
  members: SetMember[];
  result?: BlobResult;
  /** an earlier visit's unfinished upload of it, until its files are picked again */
  record?: UploadRecord;
}

export interface PageSet extends SetView {
  members: SetMember[];
  dirs: string[];
  started: Promise<StartedSet>;
  /** per blob, in plan order */
  blobs: PageBlob[];
  /** restored after a reload: the plan, until its files are picked again */
  saved?: SavedSet;
  /** the set's id on the server once known (SetView's `id` is shown only when done) */
  serverId?: string;
  /** saves of its plan happen in order */
  saving: Promise<void>;
}

export interface SetOptions {
  password?: string;
  expiresInSeconds?: number;
}

/** What the page shows of a set: a plain copy, without its files, keys or promises. */
export function viewOf({
  key,
  label,
  folder,
  files,
  bytes,
  phase,
  password,
  blobKeys,
  doneBefore,
  linkPath,
  expiresAt,
  id,
  ownerToken,
  error,
}: PageSet): SetView {
  return { key, label, folder, files, bytes, phase, password, blobKeys, doneBefore, linkPath, expiresAt, id, ownerToken, error };
}
