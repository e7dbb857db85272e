/**
 * A set's downloads: everything or the selection as one ZIP, streamed to disk through the save
 * picker or the service worker (constant memory), or into a picked folder where the browser can.
 * A member that fails fails the whole download, naming it: no complete-looking ZIP or file.
 */
import { useRef, useState } from 'react';
import type { Sink } from '../../download/downloader.ts';
import { pumpToSink, streamChunks } from '../../download/pump.ts';
import type { DownloadEngine } from '../../download/session.ts';
import { zipStream } from '../../download/zip.ts';
import { zipSize } from '../../download/zip-size.ts';
import { safeFileName } from '../../names.ts';
import { folderPicker, saveToFolder } from '../../sets/folder-save.ts';
import type { OpenedSet } from '../../sets/open-set.ts';
import { blobReaders, zipMembers } from '../../sets/set-reading.ts';
import { setTree } from '../../sets/tree.ts';
import { api } from '../api.ts';
import { pageEngine } from '../DownloadPage.tsx';
import { describeError, formatBytes } from '../messages.ts';
import { sharedPool } from '../pool.ts';

type Run = { state: 'idle' } | { state: 'running'; done: number; total: number } | { state: 'done'; what: string } | { state: 'failed'; message: string };

/** The ZIP is named after the one folder that holds everything, if there is one. */
function archiveName(set: OpenedSet): string {
  const tree = setTree(set.manifest);
  const only = tree.files.length === 0 && tree.folders.length === 1 ? tree.folders[0].name : `cipherdrop-${set.id}`;
  return `${safeFileName(only, { maxBytes: 200 })}.zip`;
}

export function SetDownloads({ set, selected }: { set: OpenedSet; selected: number[] }) {
  const [run, setRun] = useState<Run>({ state: 'idle' });
  const cancel = useRef<AbortController | null>(null);
  const engine: DownloadEngine = pageEngine();
  const pickFolder = folderPicker();

  const start = async (indexes: number[] | undefined, where: 'zip' | 'folder') => {
    const name = archiveName(set);
    // Pickers need the click's gesture: they are asked for before anything else is awaited.
    const picking = where === 'folder' ? pickFolder?.() : engine.pickSaveFile(name);
    const controller = new AbortController();
    cancel.current = controller;
    const members = zipMembers(set.manifest, blobReaders(api, sharedPool(), set, controller.signal), indexes);
    const total = members.reduce((n, m) => n + m.size, 0);
    let done = 0;
    const onBytes = (n: number) => {
      done += n;
      setRun({ state: 'running', done, total });
    };
    try {
      setRun({ state: 'running', done: 0, total });
      if (where === 'folder') {
        const root = await picking;
        if (!root) return setRun({ state: 'idle' });
        await saveToFolder(root as FileSystemDirectoryHandle, members, onBytes);
        setRun({ state: 'done', what: 'Saved into the folder and verified.' });
        return;
      }
      const picked = (await picking) as Sink | null;
      const sink = picked ?? (await engine.openDownloadSink(name, zipSize(members), () => controller.abort()));
      // Inside the pump, so a failed load aborts the sink.
      const archive = () => zipStream(members);
      await pumpToSink(streamChunks(archive), sink, { signal: controller.signal, onWritten: onBytes });
      setRun({ state: 'done', what: 'Saved as one ZIP, every file verified.' });
    } catch (error) {
      if ((error as { name?: string }).name === 'AbortError' && !controller.signal.aborted) return setRun({ state: 'idle' });
      setRun(
        controller.signal.aborted ? { state: 'failed', message: 'Download cancelled. Nothing was kept.' } : { state: 'failed', message: describeError(error) },
      );
    }
  };

  const busy = run.state === 'running';
  return (
    <div className="set-downloads">
      <p className="actions">
        <button type="button" disabled={busy} onClick={() => void start(undefined, 'zip')}>
          Download all as ZIP
        </button>
        <button type="button" className="secondary" disabled={busy || selected.length === 0} onClick={() => void start(selected, 'zip')}>
          Download {selected.length || ''} selected as ZIP
        </button>
        {pickFolder && (
          <button type="button" className="secondary" disabled={busy} onClick={() => void start(undefined, 'folder')}>
            Download into a folder…
          </button>
        )}
      </p>
      {run.state === 'running' && (
        <p>
          <progress aria-label="Download progress" max={run.total || 1} value={run.done} />{' '}
          <output aria-label="Downloaded">
            {formatBytes(run.done)} of {formatBytes(run.total)}
          </output>{' '}
          <button type="button" onClick={() => cancel.current?.abort()}>
            Cancel
          </button>
        </p>
      )}
      {run.state === 'done' && <p role="status">{run.what}</p>}
      {run.state === 'failed' && (
        <p role="alert" className="error">
          {run.message}
        </p>
      )}
    </div>
  );
}
