/**
 * A set in the upload list (docs/SETS.md): many files, one link — progress over its blobs, its
 * controls, and its link when done. A set restored after a reload asks for its folder (or files)
 * again and says which file, if any, is missing or changed.
 */
import { memo, useRef, useState } from 'react';
import type { PageSets, SetView } from '../sets/page-sets.ts';
import { doneBytes, percentOf } from '../upload/page-controller.ts';
import type { QueueEntry } from '../upload/queue.ts';
import { describeError, formatBytes } from './messages.ts';
import { directoryPicker, fromInput, type Picked, pickDirectory } from './pick.ts';
import { Finished } from './UploadRow.tsx';

interface SetRowProps {
  set: SetView;
  /** the queue entries of its blobs */
  blobs: QueueEntry[];
  sets: PageSets;
}

function statusOf(set: SetView, percent: number, paused: boolean): string {
  switch (set.phase) {
    case 'unfinished':
      return `Unfinished at ${percent}%: choose ${set.folder ? 'this folder' : 'the same files'} again to continue`;
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

/** The hidden input behind a button: files, or a folder (`webkitdirectory`). */
function HiddenPicker({ input, folder, onPick }: { input: React.RefObject<HTMLInputElement | null>; folder: boolean; onPick: (files: Picked[]) => void }) {
  return (
    <input
      ref={input}
      className="visually-hidden"
      type="file"
      multiple
      // React has no typed prop for it; every current browser supports the attribute.
      {...(folder ? { webkitdirectory: '' } : {})}
      tabIndex={-1}
      aria-hidden="true"
      onChange={(e) => {
        onPick(fromInput(e.currentTarget.files));
        e.currentTarget.value = '';
      }}
    />
  );
}

export const SetRow = memo(function SetRow({ set, blobs, sets }: SetRowProps) {
  const [deleted, setDeleted] = useState(false);
  const [pickError, setPickError] = useState<string | null>(null);
  const more = useRef<HTMLInputElement>(null);
  const again = useRef<HTMLInputElement>(null);
  const done = set.doneBefore + blobs.reduce((n, b) => n + doneBytes(b.state, b.size), 0);
  const percent = set.phase === 'done' ? 100 : percentOf(done, set.bytes);
  const paused = blobs.length > 0 && blobs.every((b) => b.state.state === 'paused' || b.state.state === 'done');
  const running = set.phase === 'uploading';
  const unfinished = set.phase === 'unfinished';
  const label = set.label;
  const chooseAgain = () => {
    setPickError(null);
    const picker = set.folder ? directoryPicker() : null;
    if (!picker) return again.current?.click();
    pickDirectory(picker).then(
      (tree) => tree && sets.resumeWith(set.key, tree.files),
      (e: unknown) => setPickError(describeError(e)),
    );
  };
  const error = unfinished ? (set.error ?? pickError) : null;
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
          {unfinished && (
            <>
              <button type="button" className="secondary" aria-label={`Choose ${label} again`} onClick={chooseAgain}>
                {set.folder ? 'Choose folder…' : 'Choose files…'}
              </button>
              <HiddenPicker input={again} folder={set.folder} onPick={(files) => void sets.resumeWith(set.key, files)} />
            </>
          )}
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
              <HiddenPicker input={more} folder={false} onPick={(files) => void sets.addTo(set.key, files)} />
            </>
          )}
          {set.phase === 'failed' && (
            <button type="button" className="secondary" aria-label={`Retry ${label}`} onClick={() => sets.retry(set.key)}>
              Retry
            </button>
          )}
          {(running || unfinished || set.phase === 'starting' || set.phase === 'failed') && (
            <button type="button" className="secondary" aria-label={`Cancel ${label}`} onClick={() => void sets.cancel(set.key)}>
              {unfinished ? 'Discard' : 'Cancel'}
            </button>
          )}
        </span>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {set.phase === 'done' && set.linkPath && !deleted && (
        <Finished
          name={label}
          linkPath={set.linkPath}
          expiresAt={set.expiresAt ?? null}
          password={set.password}
          onDelete={() => sets.delete(set.key)}
          onDeleted={() => setDeleted(true)}
        />
      )}
    </li>
  );
});
