/** The upload page: renders the page controller's snapshots (upload/page-controller.ts) and forwards what the person does. */
import { type DragEvent, type RefObject, useCallback, useEffect, useRef, useSyncExternalStore } from 'react';
import { clearStaleSpool } from '../transfer/spool.ts';
import {
  EXPIRY_CHOICES,
  type ExpiryChoice,
  MAX_CUSTOM_HOURS,
  MIN_CUSTOM_HOURS,
  type Totals,
  UploadPageController,
  type UploadPageSnapshot,
} from '../upload/page-controller.ts';
import { UploadQueue } from '../upload/queue.ts';
import { IndexedDbResumeStore, MemoryResumeStore } from '../upload/resume-store.ts';
import { api, pageApi } from './api.ts';
import { describeError } from './messages.ts';
import { fromDrop, fromInput } from './pick.ts';
import { sharedPool } from './pool.ts';
import { progressDetail, UploadRow } from './UploadRow.tsx';

let controller: UploadPageController | undefined;
/** One queue and controller for the page; IndexedDB where the browser allows it (not in some private modes). */
function pageController(): UploadPageController {
  if (controller) return controller;
  const queue = new UploadQueue({
    api,
    runner: sharedPool(),
    store: typeof indexedDB === 'undefined' ? new MemoryResumeStore() : new IndexedDbResumeStore(),
    describe: describeError,
  });
  controller = new UploadPageController({ queue, api, setToken: (token) => queue.setApi(pageApi(token)), clearStaleSpool, describe: describeError });
  return controller;
}

const customHint = (hours: number, valid: boolean): string =>
  !valid ? `1 to ${MAX_CUSTOM_HOURS} hours` : hours < 48 ? `${hours} hours` : `about ${Math.round(hours / 24)} days`;

function Options({ s, c }: { s: UploadPageSnapshot; c: UploadPageController }) {
  return (
    <fieldset className="options">
      <legend>Before you choose files</legend>
      <label>
        Expires after{' '}
        <select value={s.expiry} onChange={(e) => c.setExpiry(e.currentTarget.value as ExpiryChoice)}>
          {EXPIRY_CHOICES.map(({ value, label }) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {s.expiry === 'custom' && (
        <label>
          Hours{' '}
          <input
            type="number"
            inputMode="numeric"
            min={MIN_CUSTOM_HOURS}
            max={MAX_CUSTOM_HOURS}
            value={Number.isFinite(s.customHours) ? s.customHours : ''}
            aria-invalid={!s.customValid}
            aria-describedby="custom-hint"
            onChange={(e) => c.setCustomHours(e.currentTarget.valueAsNumber)}
          />
          <span id="custom-hint" className={s.customValid ? 'hint' : 'hint error'}>
            {customHint(s.customHours, s.customValid)}
          </span>
        </label>
      )}
      {s.needsToken && (
        <label>
          Access token <input type="password" autoComplete="off" onChange={(e) => c.setToken(e.currentTarget.value)} />
        </label>
      )}
      <label>
        Password (optional) <input type="password" autoComplete="new-password" value={s.password} onChange={(e) => c.setPassword(e.currentTarget.value)} />
      </label>
    </fieldset>
  );
}

function Pickers({ c, canChoose, fileInput }: { c: UploadPageController; canChoose: boolean; fileInput: RefObject<HTMLInputElement | null> }) {
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    fromDrop(event.dataTransfer).then(c.add, c.dropFailed);
  };
  const onPick = (input: HTMLInputElement) => {
    c.add(fromInput(input.files));
    input.value = '';
  };
  return (
    <section className="dropzone" onDragOver={(e) => e.preventDefault()} onDrop={onDrop} aria-label="Drop files or folders here">
      <label className="button" htmlFor="file-input">
        Choose files
      </label>
      <input id="file-input" ref={fileInput} className="visually-hidden" type="file" multiple disabled={!canChoose} onChange={(e) => onPick(e.currentTarget)} />
      <label className="button secondary" htmlFor="folder-input">
        Choose a folder
      </label>
      <input
        id="folder-input"
        className="visually-hidden"
        type="file"
        // React has no typed prop for it; every current browser supports the attribute.
        {...{ webkitdirectory: '' }}
        disabled={!canChoose}
        onChange={(e) => onPick(e.currentTarget)}
      />
      <span>or drop them here</span>
    </section>
  );
}

function TotalsLine({ totals, c }: { totals: Totals; c: UploadPageController }) {
  return (
    <div className="totals">
      <span className="state">
        <span className="status">
          {totals.files} {totals.files === 1 ? 'file' : 'files'} · {totals.percent}%
        </span>
        <span className="detail">{progressDetail(totals.progress)}</span>
      </span>
      <span className="controls">
        <button type="button" className="secondary" disabled={!totals.canPauseAll} onClick={() => c.queue.pauseAll()}>
          Pause all
        </button>
        <button type="button" className="secondary" disabled={!totals.canResumeAll} onClick={() => c.queue.resumeAll()}>
          Resume all
        </button>
        <button type="button" className="secondary" disabled={!totals.canCancelAll} onClick={() => void c.queue.cancelAll()}>
          Cancel all
        </button>
      </span>
    </div>
  );
}

export function UploadPage() {
  const c = pageController();
  const s = useSyncExternalStore(c.subscribe, c.getSnapshot);
  useEffect(() => c.start(), [c]);
  const fileInput = useRef<HTMLInputElement>(null);
  // One function for every render: the rows are memoised on their props.
  const repick = useCallback(() => fileInput.current?.click(), []);
  return (
    <main>
      <h1>Cipherdrop</h1>
      <p className="lede">
        Files are encrypted in your browser before upload. The key lives only in the share link, after the #: the server and the storage never see it.
      </p>
      <Options s={s} c={c} />
      <Pickers c={c} canChoose={s.canChoose} fileInput={fileInput} />
      {s.dropError && (
        <p role="alert" className="error">
          Could not read the dropped files: {s.dropError}
        </p>
      )}
      {s.waiting > 0 && (
        <p className="note">
          {s.waiting === 1 ? 'One upload was' : `${s.waiting} uploads were`} interrupted. Choose or drop the same file again to continue where it stopped; a
          file that changed since starts again with a new key.
        </p>
      )}
      {s.totals && <TotalsLine totals={s.totals} c={c} />}
      <ul className="rows" aria-label="Uploads">
        {s.entries.map((entry) => (
          <UploadRow key={entry.key} entry={entry} queue={c.queue} onRepick={repick} onDelete={c.deleteFile} />
        ))}
      </ul>
      <div className="visually-hidden" aria-live="polite">
        {s.announcement}
      </div>
    </main>
  );
}
