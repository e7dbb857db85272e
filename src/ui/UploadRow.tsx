/** One file in the upload list: its state, progress, controls and — when done — its share link. */
import { memo, useMemo, useState } from 'react';
import { encode } from 'uqr';
import { formatDuration, type Progress } from '../transfer/speed.ts';
import { doneBytes, type PageQueue, percentOf } from '../upload/page-controller.ts';
import type { QueueEntry } from '../upload/queue.ts';
import { allowed } from '../upload/states.ts';
import { describeError, formatBytes, formatExpiry } from './messages.ts';

/** Bytes, speed and time left: the line under the state, which changes while the state does not. */
export function progressDetail({ done, total, speed, eta }: Progress): string {
  return `${formatBytes(done)} of ${formatBytes(total)}${speed ? ` · ${formatBytes(speed)}/s` : ''}${eta ? ` · ${formatDuration(eta)} left` : ''}`;
}

function detailText(entry: QueueEntry): string {
  const s = entry.state;
  if (s.state === 'uploading') return progressDetail(s.progress);
  if ((s.state === 'paused' || s.state === 'queued' || s.state === 'failed') && s.progress)
    return `${formatBytes(s.progress.done)} of ${formatBytes(entry.size)}`;
  return '';
}

export function statusText(entry: QueueEntry, deleted: boolean): string {
  const s = entry.state;
  if (deleted) return 'Deleted: the link no longer opens anything';
  switch (s.state) {
    case 'queued':
      return s.progress ? `Waiting to continue · ${percentOf(s.progress.done, entry.size)}%` : 'Waiting';
    case 'preparing':
      return 'Preparing: deriving keys and encrypting the file details';
    case 'uploading':
      return `Encrypting and uploading: ${percentOf(s.progress.done, entry.size)}%`;
    case 'paused': {
      const at = s.progress ? ` at ${percentOf(s.progress.done, entry.size)}%` : '';
      return entry.hasFile ? `Paused${at}` : `Unfinished${at}: choose or drop this file again to continue`;
    }
    case 'completing':
      return 'Finishing the upload';
    case 'done':
      return s.result.requestId ? 'Sent: only the person who asked can open it' : 'Done: encrypted and uploaded';
    case 'failed':
      return s.message;
    case 'cancelled':
      return 'Cancelled';
  }
}

/** The link as a QR code, drawn as one SVG path here: nothing is fetched, no markup is injected. */
function QrCode({ link, name }: { link: string; name: string }) {
  const { path, size } = useMemo(() => {
    const qr = encode(link, { ecc: 'M', border: 2 });
    let d = '';
    qr.data.forEach((row, y) => {
      row.forEach((dark, x) => {
        if (dark) d += `M${x} ${y}h1v1h-1z`;
      });
    });
    return { path: d, size: qr.size };
  }, [link]);
  return (
    <svg className="qr" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={`QR code of the share link for ${name}`} shapeRendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}

export function ShareLink({ name, link }: { name: string; link: string }) {
  const [copied, setCopied] = useState(false);
  const [qr, setQr] = useState(false);
  return (
    <>
      <div className="share">
        <input readOnly value={link} aria-label={`Share link for ${name}`} onFocus={(e) => e.currentTarget.select()} />
        <button
          type="button"
          onClick={async () => {
            await navigator.clipboard?.writeText(link).catch(() => undefined);
            setCopied(true);
          }}
        >
          {copied ? 'Copied' : 'Copy link'}
        </button>
        <button type="button" className="secondary" aria-expanded={qr} aria-label={`QR code for ${name}`} onClick={() => setQr(!qr)}>
          QR
        </button>
      </div>
      {qr && <QrCode link={link} name={name} />}
    </>
  );
}

interface RowProps {
  entry: QueueEntry;
  queue: PageQueue;
  /** opens the file picker, to pick an unfinished upload's file again */
  onRepick: () => void;
  /** deletes the uploaded file early, with its owner token */
  onDelete: (id: string, ownerToken: string) => Promise<unknown>;
}

interface FinishedProps {
  name: string;
  linkPath: string;
  expiresAt: number | null;
  password: boolean;
  /** deletes it early, with its owner token */
  onDelete: () => Promise<unknown>;
  onDeleted: () => void;
}

/** A finished file's or set's link, its expiry, and "Delete now" (with what went wrong if the delete failed). */
export function Finished({ name, linkPath, expiresAt, password, onDelete, onDeleted }: FinishedProps) {
  const [deleteError, setDeleteError] = useState<string | null>(null);
  return (
    <>
      <ShareLink name={name} link={`${location.origin}${linkPath}`} />
      <p className="note">
        {expiresAt === null ? 'Never expires' : formatExpiry(expiresAt)}
        {password && ' · the recipient also needs the password'}
      </p>
      <p className="actions">
        <button
          type="button"
          className="secondary"
          aria-label={`Delete ${name} now`}
          onClick={() =>
            onDelete().then(
              () => onDeleted(),
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
  );
}

export const UploadRow = memo(function UploadRow({ entry, queue, onRepick, onDelete }: RowProps) {
  const [deleted, setDeleted] = useState(false);
  const s = entry.state;
  const can = allowed(s);
  const label = entry.path;
  return (
    <li className={`row ${s.state}`}>
      <div className="row-head">
        <span className="name">{label}</span>
        <span className="size">{formatBytes(entry.size)}</span>
      </div>
      <progress aria-label={`Upload progress of ${label}`} max={entry.size || 1} value={s.state === 'done' ? entry.size || 1 : doneBytes(s, entry.size)} />
      <div className="row-foot">
        <span className="state">
          {/* Read on focus; changes are announced by the page's one live region, not on every part. */}
          <span className="status" role="status" aria-live="off">
            {statusText(entry, deleted)}
          </span>
          <span className="detail">{deleted ? '' : detailText(entry)}</span>
        </span>
        <span className="controls">
          {can.pause && (
            <button type="button" className="secondary" aria-label={`Pause ${label}`} onClick={() => queue.pause(entry.key)}>
              Pause
            </button>
          )}
          {can.resume && entry.hasFile && (
            <button type="button" className="secondary" aria-label={`Resume ${label}`} onClick={() => queue.resume(entry.key)}>
              Resume
            </button>
          )}
          {can.resume && !entry.hasFile && (
            <button type="button" className="secondary" aria-label={`Choose ${label} again`} onClick={onRepick}>
              Choose file…
            </button>
          )}
          {can.retry && (
            <button type="button" className="secondary" aria-label={`Retry ${label}`} onClick={() => queue.retry(entry.key)}>
              Retry
            </button>
          )}
          {can.cancel && (
            <button type="button" className="secondary" aria-label={`Cancel ${label}`} onClick={() => void queue.cancel(entry.key)}>
              {entry.hasFile ? 'Cancel' : 'Discard'}
            </button>
          )}
        </span>
      </div>
      {entry.notice && <p className="note">{entry.notice}</p>}
      {s.state === 'done' && !deleted && !s.result.requestId && (
        <Finished
          name={entry.name}
          linkPath={s.result.linkPath}
          expiresAt={s.result.expiresAt}
          password={entry.password}
          onDelete={() => onDelete(s.result.id, s.result.ownerToken)}
          onDeleted={() => setDeleted(true)}
        />
      )}
    </li>
  );
});
