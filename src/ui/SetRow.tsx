/** A set in the upload list (docs/SETS.md): many files, one link — progress over its blobs, its controls, and its link when done. */
import { memo, useRef, useState } from 'react';
import type { PageSets, SetView } from '../sets/page-sets.ts';
import { doneBytes, percentOf } from '../upload/page-controller.ts';
import type { QueueEntry } from '../upload/queue.ts';
import { describeError, formatBytes, formatExpiry } from './messages.ts';
import { fromInput } from './pick.ts';
import { ShareLink } from './UploadRow.tsx';

interface SetRowProps {
  set: SetView;
  /** the queue entries of its blobs */
  blobs: QueueEntry[];
  sets: PageSets;
}

function statusOf(set: SetView, percent: number, paused: boolean): string {
  switch (set.phase) {
    case 'starting':
      return 'Preparing';
    case 'uploading':
      return paused ? `Paused at ${percent}%` : `Encrypting and uploading: ${percent}%`;
    case 'finishing':
      return 'Sealing the file list';
    case 'done':
      return 'Done: encrypted and uploaded, one link for all';
    case 'failed':
      return set.error ?? 'Failed';
    case 'cancelled':
      return 'Cancelled';
  }
}

export const SetRow = memo(function SetRow({ set, blobs, sets }: SetRowProps) {
  const [deleted, setDeleted] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const more = useRef<HTMLInputElement>(null);
  const done = blobs.reduce((n, b) => n + doneBytes(b.state, b.size), 0);
  const percent = set.phase === 'done' ? 100 : percentOf(done, set.bytes);
  const paused = blobs.length > 0 && blobs.every((b) => b.state.state === 'paused' || b.state.state === 'done');
  const running = set.phase === 'uploading';
  const label = set.label;
  return (
    <li className={`row set ${set.phase}`}>
      <div className="row-head">
        <span className="name">{label}</span>
        <span className="size">
          {set.files} {set.files === 1 ? 'file' : 'files'} · {formatBytes(set.bytes)}
        </span>
      </div>
      <progress aria-label={`Upload progress of ${label}`} max={100} value={percent} />
      <div className="row-foot">
        <span className="state">
          <span className="status" role="status" aria-live="off">
            {deleted ? 'Deleted: the link no longer opens anything' : statusOf(set, percent, paused)}
          </span>
        </span>
        <span className="controls">
          {running && !paused && (
            <button type="button" className="secondary" aria-label={`Pause ${label}`} onClick={() => sets.pause(set.key)}>
              Pause
            </button>
          )}
          {running && paused && (
            <button type="button" className="secondary" aria-label={`Resume ${label}`} onClick={() => sets.resume(set.key)}>
              Resume
            </button>
          )}
          {running && (
            <>
              <button type="button" className="secondary" aria-label={`Add files to ${label}`} onClick={() => more.current?.click()}>
                Add files
              </button>
              <input
                ref={more}
                className="visually-hidden"
                type="file"
                multiple
                tabIndex={-1}
                aria-hidden="true"
                onChange={(e) => {
                  void sets.addTo(set.key, fromInput(e.currentTarget.files));
                  e.currentTarget.value = '';
                }}
              />
            </>
          )}
          {set.phase === 'failed' && (
            <button type="button" className="secondary" aria-label={`Retry ${label}`} onClick={() => sets.retry(set.key)}>
              Retry
            </button>
          )}
          {(running || set.phase === 'starting' || set.phase === 'failed') && (
            <button type="button" className="secondary" aria-label={`Cancel ${label}`} onClick={() => void sets.cancel(set.key)}>
              Cancel
            </button>
          )}
        </span>
      </div>
      {set.phase === 'done' && set.linkPath && !deleted && (
        <>
          <ShareLink name={label} link={`${location.origin}${set.linkPath}`} />
          <p className="note">
            {set.expiresAt === null || set.expiresAt === undefined ? 'Never expires' : formatExpiry(set.expiresAt)}
            {set.password && ' · the recipient also needs the password'}
          </p>
          <p className="actions">
            <button
              type="button"
              className="secondary"
              aria-label={`Delete ${label} now`}
              onClick={() =>
                sets.delete(set.key).then(
                  () => setDeleted(true),
                  (e: unknown) => setDeleteError(describeError(e)),
                )
              }
            >
              Delete now
            </button>
            {deleteError && (
              <span role="alert" className="error">
                {deleteError}
              </span>
            )}
          </p>
        </>
      )}
    </li>
  );
});
