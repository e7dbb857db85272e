import { type DragEvent, useCallback, useEffect, useRef, useState } from 'react';
import { isAbort } from '../errors.ts';
import { api, setUploadToken } from '../transfer/api.ts';
import { formatDuration, type Progress, SpeedMeter } from '../transfer/speed.ts';
import { clearStaleSpool } from '../transfer/spool.ts';
import { fromFile, uploadFile } from '../upload/uploader.ts';
import { describeError, formatBytes, formatExpiry } from './messages.ts';
import { sharedPool } from './pool.ts';

type RowState =
  | { state: 'queued' }
  | { state: 'uploading'; progress: Progress }
  | { state: 'done'; link: string; expiresAt: number | null; password: boolean; id: string; ownerToken: string }
  | { state: 'deleted' }
  | { state: 'failed'; message: string }
  | { state: 'cancelled' };

interface Row {
  key: number;
  name: string;
  size: number;
  status: RowState;
  controller: AbortController;
}

let nextKey = 1;

const HOUR = 3600;
const EXPIRY_CHOICES: [string, string][] = [
  [String(HOUR), '1 hour'],
  [String(24 * HOUR), '1 day'],
  [String(7 * 24 * HOUR), '7 days'],
  [String(30 * 24 * HOUR), '30 days'],
  ['never', 'Never'],
];
const DEFAULT_EXPIRY = 7 * 24 * HOUR;

function statusText(row: Row): string {
  const s = row.status;
  switch (s.state) {
    case 'queued':
      return 'Waiting';
    case 'uploading': {
      const { done, speed, eta } = s.progress;
      const percent = row.size ? Math.floor((100 * done) / row.size) : 0;
      return `Encrypting and uploading: ${percent}%${speed ? ` · ${formatBytes(speed)}/s` : ''}${eta ? ` · ${formatDuration(eta)} left` : ''}`;
    }
    case 'done':
      return 'Done: encrypted and uploaded';
    case 'deleted':
      return 'Deleted: the link no longer opens anything';
    case 'failed':
      return s.message;
    case 'cancelled':
      return 'Cancelled';
  }
}

function ShareLink({ name, link }: { name: string; link: string }) {
  const [copied, setCopied] = useState(false);
  return (
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
    </div>
  );
}

/** The uploader's early delete: the owner token never left this page (it is not in the link). */
function DeleteNow({ id, ownerToken, name, onDeleted }: { id: string; ownerToken: string; name: string; onDeleted: () => void }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <p className="actions">
      <button
        type="button"
        aria-label={`Delete ${name} now`}
        onClick={() =>
          api.deleteFile(id, ownerToken).then(
            () => onDeleted(),
            (e: unknown) => setError(describeError(e)),
          )
        }
      >
        Delete now
      </button>
      {error && (
        <span role="alert" className="error">
          {error}
        </span>
      )}
    </p>
  );
}

export function UploadPage() {
  const [rows, setRows] = useState<Row[]>([]);
  const [needsToken, setNeedsToken] = useState(false);
  useEffect(() => {
    void clearStaleSpool();
    api.config().then(
      (config) => setNeedsToken(!config.openUploads),
      () => undefined,
    );
  }, []);
  const [announcement, setAnnouncement] = useState('');
  const queue = useRef(Promise.resolve());
  const [expiry, setExpiry] = useState(String(DEFAULT_EXPIRY));
  const [password, setPassword] = useState('');
  // Read by `start` when files are chosen: the options apply to files chosen after they are set.
  const options = useRef({ password: '', expiresInSeconds: DEFAULT_EXPIRY as number | undefined });
  options.current = { password, expiresInSeconds: expiry === 'never' ? undefined : Number(expiry) };

  const update = useCallback((key: number, status: RowState) => {
    setRows((all) => all.map((r) => (r.key === key ? { ...r, status } : r)));
  }, []);

  const start = useCallback(
    (files: File[]) => {
      const { password, expiresInSeconds } = options.current;
      const added = files.map((file) => ({
        key: nextKey++,
        name: file.name,
        size: file.size,
        status: { state: 'queued' } as RowState,
        controller: new AbortController(),
        file,
        password,
        expiresInSeconds,
      }));
      setRows((all) => [...all, ...added.map(({ file: _file, password: _password, expiresInSeconds: _expires, ...row }) => row)]);
      for (const row of added) {
        // Files go one after another; each file's parts already fill the connection.
        queue.current = queue.current.then(async () => {
          if (row.controller.signal.aborted) return;
          const meter = new SpeedMeter(row.size);
          update(row.key, { state: 'uploading', progress: meter.reading(0) });
          try {
            const result = await uploadFile(fromFile(row.file), {
              api,
              runner: sharedPool(),
              password: row.password || undefined,
              expiresInSeconds: row.expiresInSeconds,
              signal: row.controller.signal,
              onProgress: (done) => update(row.key, { state: 'uploading', progress: meter.sample(done) }),
            });
            update(row.key, {
              state: 'done',
              link: `${location.origin}${result.linkPath}`,
              expiresAt: result.expiresAt,
              password: Boolean(row.password),
              id: result.id,
              ownerToken: result.ownerToken,
            });
            setAnnouncement(`${row.name} is uploaded. Its share link is ready.`);
          } catch (error) {
            update(row.key, isAbort(error) ? { state: 'cancelled' } : { state: 'failed', message: describeError(error) });
            setAnnouncement(`${row.name}: ${isAbort(error) ? 'cancelled' : 'upload failed'}.`);
          }
        });
      }
    },
    [update],
  );

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    start(Array.from(event.dataTransfer.files));
  };

  return (
    <main>
      <h1>Cipherdrop</h1>
      <p className="lede">
        Files are encrypted in your browser before upload. The key lives only in the share link, after the #: the server and the storage never see it.
      </p>
      <fieldset className="options">
        <legend>Before you choose files</legend>
        <label>
          Expires after{' '}
          <select value={expiry} onChange={(e) => setExpiry(e.currentTarget.value)}>
            {EXPIRY_CHOICES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {needsToken && (
          <label>
            Access token <input type="password" autoComplete="off" onChange={(e) => setUploadToken(e.currentTarget.value || undefined)} />
          </label>
        )}
        <label>
          Password (optional) <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
        </label>
      </fieldset>
      <section className="dropzone" onDragOver={(e) => e.preventDefault()} onDrop={onDrop} aria-label="Drop files here">
        <label className="button" htmlFor="file-input">
          Choose files
        </label>
        <input
          id="file-input"
          className="visually-hidden"
          type="file"
          multiple
          onChange={(e) => {
            start(Array.from(e.currentTarget.files ?? []));
            e.currentTarget.value = '';
          }}
        />
        <span>or drop them here</span>
      </section>
      <ul className="rows" aria-label="Uploads">
        {rows.map((row) => (
          <li key={row.key} className={`row ${row.status.state}`}>
            <div className="row-head">
              <span className="name">{row.name}</span>
              <span className="size">{formatBytes(row.size)}</span>
            </div>
            <progress
              aria-label={`Upload progress of ${row.name}`}
              max={row.size || 1}
              value={row.status.state === 'uploading' ? row.status.progress.done : row.status.state === 'done' ? row.size || 1 : 0}
            />
            <div className="row-foot">
              <span className="status" role="status">
                {statusText(row)}
              </span>
              {(row.status.state === 'uploading' || row.status.state === 'queued') && (
                <button type="button" onClick={() => row.controller.abort()}>
                  Cancel
                </button>
              )}
            </div>
            {row.status.state === 'done' && (
              <>
                <ShareLink name={row.name} link={row.status.link} />
                <p className="note">
                  {row.status.expiresAt === null ? 'Never expires' : formatExpiry(row.status.expiresAt)}
                  {row.status.password && ' · the recipient also needs the password'}
                </p>
                <DeleteNow id={row.status.id} ownerToken={row.status.ownerToken} name={row.name} onDeleted={() => update(row.key, { state: 'deleted' })} />
              </>
            )}
          </li>
        ))}
      </ul>
      <div className="visually-hidden" aria-live="polite">
        {announcement}
      </div>
    </main>
  );
}
