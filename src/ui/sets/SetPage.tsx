/**
 * `/s/<id>#<secret>`: a set's link. Decrypts the file list here, shows the tree (folders
 * collapsible, sizes, total), opens any file in the share link's view (preview, media, download),
 * and downloads all or a selection as one ZIP streamed to disk, or into a picked folder.
 */
import { useEffect, useState } from 'react';
import type { OpenedLink } from '../../download/downloader.ts';
import { displayName } from '../../names.ts';
import { fetchSet, memberLink, type OpenedSet, parseSetLink, type SetObjects, unlockSet } from '../../sets/open-set.ts';
import { setTree, type TreeFolder } from '../../sets/tree.ts';
import { api } from '../api.ts';
import { PasswordForm } from '../DownloadPage.tsx';
import { describeError, formatBytes, formatExpiry } from '../messages.ts';
import { OpenFile } from '../OpenFile.tsx';
import { SetDownloads } from './SetDownloads.tsx';

type Opening =
  | { state: 'opening' }
  | { state: 'password'; objects: SetObjects; secret: Uint8Array; wrong: boolean }
  | { state: 'open'; set: OpenedSet }
  | { state: 'failed'; message: string };

interface TreeProps {
  set: OpenedSet;
  folder: TreeFolder;
  selected: Set<number>;
  toggle: (indexes: number[], on: boolean) => void;
  onOpen: (index: number) => void;
}

const filesBelow = (folder: TreeFolder): number[] => [...folder.files, ...folder.folders.flatMap(filesBelow)];

function Folder({ set, folder, selected, toggle, onOpen }: TreeProps) {
  return (
    <ul className="tree">
      {folder.folders.map((sub) => {
        const all = filesBelow(sub);
        const checked = all.length > 0 && all.every((i) => selected.has(i));
        return (
          <li key={sub.path}>
            <details open>
              <summary>
                <input
                  type="checkbox"
                  aria-label={`Select the folder ${displayName(sub.name)}`}
                  checked={checked}
                  disabled={all.length === 0}
                  onChange={(e) => toggle(all, e.currentTarget.checked)}
                />{' '}
                <span className="name">{displayName(sub.name)}/</span>{' '}
                <span className="size">
                  {sub.count} {sub.count === 1 ? 'file' : 'files'} · {formatBytes(sub.bytes)}
                </span>
              </summary>
              <Folder set={set} folder={sub} selected={selected} toggle={toggle} onOpen={onOpen} />
            </details>
          </li>
        );
      })}
      {folder.files.map((index) => {
        const entry = set.manifest.entries[index];
        const name = displayName(entry.path.split('/').at(-1) ?? '');
        return (
          <li key={index} className="tree-file">
            <input type="checkbox" aria-label={`Select ${name}`} checked={selected.has(index)} onChange={(e) => toggle([index], e.currentTarget.checked)} />{' '}
            <span className="name">{name}</span> <span className="size">{formatBytes(entry.dir ? 0 : entry.size)}</span>{' '}
            <button type="button" className="secondary" aria-label={`Open ${name}`} onClick={() => onOpen(index)}>
              Open
            </button>
          </li>
        );
      })}
    </ul>
  );
}

function SetView({ set }: { set: OpenedSet }) {
  const [selected, setSelected] = useState<Set<number>>(() => new Set());
  const [open, setOpen] = useState<OpenedLink | null>(null);
  const tree = setTree(set.manifest);
  if (open) return <OpenFile link={open} onClose={() => setOpen(null)} backLabel="Back to the list" />;
  const toggle = (indexes: number[], on: boolean) =>
    setSelected((old) => {
      const next = new Set(old);
      for (const i of indexes) on ? next.add(i) : next.delete(i);
      return next;
    });
  return (
    <section aria-label="Shared files">
      <h2 className="name">
        {tree.count} {tree.count === 1 ? 'file' : 'files'} · {formatBytes(tree.bytes)}
      </h2>
      <p className="lede">
        The list and every file are decrypted in your browser; each piece is verified before it is written.
        {set.info.expiresAt !== null && ` This link ${formatExpiry(set.info.expiresAt)}.`}
      </p>
      <SetDownloads set={set} selected={[...selected].sort((a, b) => a - b)} />
      <Folder set={set} folder={tree} selected={selected} toggle={toggle} onOpen={(index) => setOpen(memberLink(api, set, index))} />
    </section>
  );
}

export function SetPage() {
  const [opening, setOpening] = useState<Opening>({ state: 'opening' });
  useEffect(() => {
    const visit = new AbortController();
    (async () => {
      const { id, secret } = parseSetLink(location.pathname, location.hash);
      const objects = await fetchSet(api, id, secret, visit.signal);
      if (objects.passwordParams) return setOpening({ state: 'password', objects, secret, wrong: false });
      setOpening({ state: 'open', set: await unlockSet(objects, secret) });
    })().catch((error) => !visit.signal.aborted && setOpening({ state: 'failed', message: describeError(error) }));
    return () => visit.abort();
  }, []);
  const unlock = async (password: string) => {
    if (opening.state !== 'password') return;
    try {
      setOpening({ state: 'open', set: await unlockSet(opening.objects, opening.secret, password) });
    } catch (error) {
      if ((error as { code?: string }).code === 'WrongKey') setOpening({ ...opening, wrong: true });
      else setOpening({ state: 'failed', message: describeError(error) });
    }
  };
  return (
    <main>
      <h1>Cipherdrop</h1>
      {opening.state === 'opening' && <p role="status">Opening the link…</p>}
      {opening.state === 'password' && <PasswordForm wrong={opening.wrong} onSubmit={(p) => void unlock(p)} />}
      {opening.state === 'open' && <SetView set={opening.set} />}
      {opening.state === 'failed' && (
        <p role="alert" className="error">
          {opening.message}
        </p>
      )}
      <p>
        <a href="/">Send your own files</a>
      </p>
    </main>
  );
}
