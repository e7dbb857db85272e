import { type DragEvent, useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { api, setUploadToken } from '../transfer/api.ts';
import { clearStaleSpool } from '../transfer/spool.ts';
import { type QueueEntry, UploadQueue } from '../upload/queue.ts';
import { IndexedDbResumeStore, MemoryResumeStore } from '../upload/resume-store.ts';
import { allowed, isLive, type StateName } from '../upload/states.ts';
import { describeError } from './messages.ts';
import { fromDrop, fromInput, type Picked } from './pick.ts';
import { sharedPool } from './pool.ts';
import { doneBytes, percentOf, progressDetail, UploadRow } from './UploadRow.tsx';

const HOUR = 3600;
const DAY = 24 * HOUR;
const EXPIRY_CHOICES: [string, string][] = [
  [String(HOUR), '1 hour'],
  [String(DAY), '1 day'],
  [String(7 * DAY), '7 days'],
  [String(30 * DAY), '30 days'],
  ['custom', 'Custom…'],
  ['never', 'Never'],
];
const DEFAULT_EXPIRY = 7 * DAY;
/** The server's own bounds (contract/limits.ts): a minute to a year. */
const MIN_CUSTOM_HOURS = 1;
const MAX_CUSTOM_HOURS = 365 * 24;

let queue: UploadQueue | undefined;
/** One queue for the page; IndexedDB where the browser allows it (not in some private modes). */
function pageQueue(): UploadQueue {
  queue ??= new UploadQueue({
    api,
    runner: sharedPool(),
    store: typeof indexedDB === 'undefined' ? new MemoryResumeStore() : new IndexedDbResumeStore(),
    describe: describeError,
  });
  return queue;
}

/** What the live region says when a file reaches a state; other states are not announced. */
const ANNOUNCED: Partial<Record<StateName, string>> = {
  done: 'is uploaded. Its share link is ready.',
  failed: 'upload failed.',
  cancelled: 'cancelled.',
  paused: 'paused.',
};

function useAnnouncements(entries: QueueEntry[]): string {
  const [text, setText] = useState('');
  const seen = useRef(new Map<number, string>());
  const lastQuarter = useRef(new Map<number, number>());
  useEffect(() => {
    const lines: string[] = [];
    for (const e of entries) {
      const s = e.state;
      if (seen.current.get(e.key) !== s.state) {
        seen.current.set(e.key, s.state);
        const said = ANNOUNCED[s.state];
        if (said) lines.push(`${e.path} ${said}`);
      }
      // Progress is announced in quarters, not on every part.
      if (s.state === 'uploading') {
        const quarter = Math.floor(percentOf(s.progress.done, e.size) / 25);
        if (quarter > (lastQuarter.current.get(e.key) ?? 0)) {
          lastQuarter.current.set(e.key, quarter);
          if (quarter < 4) lines.push(`${e.path}: ${quarter * 25}% uploaded.`);
        }
      }
    }
    if (lines.length) setText(lines.join(' '));
  }, [entries]);
  return text;
}

function Totals({ entries, q }: { entries: QueueEntry[]; q: UploadQueue }) {
  const live = entries.filter((e) => isLive(e.state));
  if (live.length === 0) return null;
  const total = live.reduce((n, e) => n + e.size, 0);
  const done = live.reduce((n, e) => n + doneBytes(e.state, e.size), 0);
  const speed = live.reduce((n, e) => n + (e.state.state === 'uploading' ? (e.state.progress.speed ?? 0) : 0), 0);
  const eta = speed > 0 ? (total - done) / speed : null;
  return (
    <div className="totals">
      <span className="state">
        <span className="status">
          {live.length} {live.length === 1 ? 'file' : 'files'} · {percentOf(done, total)}%
        </span>
        <span className="detail">{progressDetail({ done, total, speed: speed || null, eta })}</span>
      </span>
      <span className="controls">
        <button type="button" className="secondary" disabled={!live.some((e) => allowed(e.state).pause)} onClick={() => q.pauseAll()}>
          Pause all
        </button>
        <button type="button" className="secondary" disabled={!live.some((e) => allowed(e.state).resume && e.hasFile)} onClick={() => q.resumeAll()}>
          Resume all
        </button>
        <button type="button" className="secondary" disabled={!live.some((e) => allowed(e.state).cancel)} onClick={() => void q.cancelAll()}>
          Cancel all
        </button>
      </span>
    </div>
  );
}

export function UploadPage() {
  const q = pageQueue();
  const entries = useSyncExternalStore(q.subscribe, q.getSnapshot);
  const [needsToken, setNeedsToken] = useState(false);
  useEffect(() => {
    void clearStaleSpool();
    void q.restore();
    api.config().then(
      (config) => setNeedsToken(!config.openUploads),
      () => undefined,
    );
  }, [q]);
  const announcement = useAnnouncements(entries);
  const [expiry, setExpiry] = useState(String(DEFAULT_EXPIRY));
  const [customHours, setCustomHours] = useState(48);
  const [password, setPassword] = useState('');
  const [pickError, setPickError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const expiresInSeconds = expiry === 'never' ? undefined : expiry === 'custom' ? Math.round(customHours * HOUR) : Number(expiry);
  const start = useCallback(
    (picked: Picked[]) => {
      setPickError(null);
      // The options apply to the files chosen after they are set.
      void q.add(picked, { password: password || undefined, expiresInSeconds });
    },
    [q, password, expiresInSeconds],
  );

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    fromDrop(event.dataTransfer).then(start, (e: unknown) => setPickError(`Could not read the dropped files: ${describeError(e)}`));
  };
  const customValid = Number.isFinite(customHours) && customHours >= MIN_CUSTOM_HOURS && customHours <= MAX_CUSTOM_HOURS;
  const waiting = entries.filter((e) => !e.hasFile && e.state.state === 'paused');

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
        {expiry === 'custom' && (
          <label>
            Hours{' '}
            <input
              type="number"
              inputMode="numeric"
              min={MIN_CUSTOM_HOURS}
              max={MAX_CUSTOM_HOURS}
              value={Number.isFinite(customHours) ? customHours : ''}
              aria-invalid={!customValid}
              aria-describedby="custom-hint"
              onChange={(e) => setCustomHours(e.currentTarget.valueAsNumber)}
            />
            <span id="custom-hint" className={customValid ? 'hint' : 'hint error'}>
              {customValid ? (customHours < 48 ? `${customHours} hours` : `about ${Math.round(customHours / 24)} days`) : `1 to ${MAX_CUSTOM_HOURS} hours`}
            </span>
          </label>
        )}
        {needsToken && (
          <label>
            Access token <input type="password" autoComplete="off" onChange={(e) => setUploadToken(e.currentTarget.value || undefined)} />
          </label>
        )}
        <label>
          Password (optional) <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
        </label>
      </fieldset>
      <section className="dropzone" onDragOver={(e) => e.preventDefault()} onDrop={onDrop} aria-label="Drop files or folders here">
        <label className="button" htmlFor="file-input">
          Choose files
        </label>
        <input
          id="file-input"
          ref={fileInput}
          className="visually-hidden"
          type="file"
          multiple
          disabled={expiry === 'custom' && !customValid}
          onChange={(e) => {
            start(fromInput(e.currentTarget.files));
            e.currentTarget.value = '';
          }}
        />
        <label className="button secondary" htmlFor="folder-input">
          Choose a folder
        </label>
        <input
          id="folder-input"
          className="visually-hidden"
          type="file"
          // React has no typed prop for it; every current browser supports the attribute.
          {...{ webkitdirectory: '' }}
          disabled={expiry === 'custom' && !customValid}
          onChange={(e) => {
            start(fromInput(e.currentTarget.files));
            e.currentTarget.value = '';
          }}
        />
        <span>or drop them here</span>
      </section>
      {pickError && (
        <p role="alert" className="error">
          {pickError}
        </p>
      )}
      {waiting.length > 0 && (
        <p className="note">
          {waiting.length === 1 ? 'One upload was' : `${waiting.length} uploads were`} interrupted. Choose or drop the same file again to continue where it
          stopped; a file that changed since starts again with a new key.
        </p>
      )}
      <Totals entries={entries} q={q} />
      <ul className="rows" aria-label="Uploads">
        {entries.map((entry) => (
          <UploadRow key={entry.key} entry={entry} queue={q} onRepick={() => fileInput.current?.click()} />
        ))}
      </ul>
      <div className="visually-hidden" aria-live="polite">
        {announcement}
      </div>
    </main>
  );
}
