/**
 * Where files are chosen and followed: the pickers and drop zone, the totals line, one row per file
 * and the live region. The upload page and a request's send page both render it around their own
 * controller (upload/page-controller.ts).
 */
import { type DragEvent, type MouseEvent, type RefObject, useCallback, useRef } from 'react';
import type { PageSets } from '../sets/page-sets.ts';
import type { Totals, UploadPageController, UploadPageSnapshot } from '../upload/page-controller.ts';
import { directoryPicker, fromDrop, fromInput, pickDirectory } from './pick.ts';
import { SetRow } from './SetRow.tsx';
import { progressDetail, UploadRow } from './UploadRow.tsx';

function Pickers({ c, canChoose, fileInput }: { c: UploadPageController; canChoose: boolean; fileInput: RefObject<HTMLInputElement | null> }) {
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    fromDrop(event.dataTransfer).then((tree) => c.add(tree.files, tree.dirs), c.dropFailed);
  };
  const onPick = (input: HTMLInputElement) => {
    c.add(fromInput(input.files));
    input.value = '';
  };
  // Where the browser has showDirectoryPicker (Chromium), the folder is walked through its handle,
  // which also finds empty folders (the webkitdirectory input, kept as the fallback, gives none).
  const onChooseFolder = (event: MouseEvent) => {
    const picker = directoryPicker();
    if (!picker || !canChoose) return;
    event.preventDefault();
    pickDirectory(picker).then((tree) => tree && c.add(tree.files, tree.dirs), c.dropFailed);
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
        // A click on the label, or the keyboard on the input, reaches the input: the picker takes over there.
        onClick={onChooseFolder}
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

export function UploadArea({ c, s }: { c: UploadPageController; s: UploadPageSnapshot }) {
  const fileInput = useRef<HTMLInputElement>(null);
  // One function for every render: the rows are memoised on their props.
  const repick = useCallback(() => fileInput.current?.click(), []);
  return (
    <>
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
        {c.sets &&
          s.sets.map((set) => (
            <SetRow key={`set-${set.key}`} set={set} blobs={s.entries.filter((e) => set.blobKeys.includes(e.key))} sets={c.sets as PageSets} />
          ))}
        {s.entries
          .filter((entry) => !entry.setId)
          .map((entry) => (
            <UploadRow key={entry.key} entry={entry} queue={c.queue} onRepick={repick} onDelete={c.deleteFile} />
          ))}
      </ul>
      <div className="visually-hidden" aria-live="polite">
        {s.announcement}
      </div>
    </>
  );
}
