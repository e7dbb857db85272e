/**
 * `/i/<id>#…`: the requester's inbox. Lists what was sent (names and messages decrypted here, with
 * the private key the inbox secret opens), opens any file in the same view as a share link's
 * (preview, download, each frame verified), deletes files, closes or deletes the request.
 */
import { useEffect, useState } from 'react';
import type { OpenedLink } from '../../download/downloader.ts';
import { type OpenInbox, openInbox, type ReceivedFile } from '../../requests/inbox.ts';
import { type InboxLink, parseInboxLink } from '../../requests/links.ts';
import { api } from '../api.ts';
import { describeError, formatBytes, formatExpiry } from '../messages.ts';
import { OpenFile } from '../OpenFile.tsx';
import { CopyField } from './CopyField.tsx';

type Opening = { state: 'opening' } | { state: 'open'; inbox: OpenInbox } | { state: 'failed'; message: string };

function FileRow({ file, onOpen, onDelete }: { file: ReceivedFile; onOpen: (link: OpenedLink) => void; onDelete: () => Promise<void> }) {
  const [error, setError] = useState<string | null>(null);
  const received = file.receivedAt === null ? '' : ` · received ${new Date(file.receivedAt).toLocaleString()}`;
  const remove = () => onDelete().catch((e) => setError(describeError(e)));
  if ('error' in file.opened) {
    return (
      <li className="row failed">
        <span className="name">A file that does not open</span>
        <p className="error">{describeError(file.opened.error)}</p>
        <button type="button" className="secondary" onClick={remove}>
          Delete it
        </button>
        {error && <p className="error">{error}</p>}
      </li>
    );
  }
  const { link } = file.opened;
  return (
    <li className="row">
      <div className="row-head">
        <span className="name">{link.meta.name}</span>
        <span className="size">
          {formatBytes(link.meta.size)}
          {received}
        </span>
      </div>
      {link.meta.message && <p className="request-note">{link.meta.message}</p>}
      <div className="row-foot">
        <span className="controls">
          <button type="button" onClick={() => onOpen(link)}>
            Open
          </button>
          <button type="button" className="secondary" onClick={remove}>
            Delete
          </button>
        </span>
      </div>
      {error && <p className="error">{error}</p>}
    </li>
  );
}

function Inbox({ inbox, link, reload }: { inbox: OpenInbox; link: InboxLink; reload: () => void }) {
  const [open, setOpen] = useState<OpenedLink | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = (work: () => Promise<unknown>) => () => work().then(reload, (e) => setError(describeError(e)));
  if (open) return <OpenFile link={open} onClose={() => setOpen(null)} backLabel="Back to the inbox" />;
  const total = inbox.files.reduce((n, f) => n + ('link' in f.opened ? f.opened.link.meta.size : 0), 0);
  return (
    <section aria-label="Inbox">
      <h2 className="name">{inbox.title}</h2>
      {inbox.note && <p className="request-note">{inbox.note}</p>}
      <p className="note">
        {inbox.state === 'open' ? `Open · ${formatExpiry(inbox.expiresAt)}` : inbox.state === 'closed' ? 'Closed: it takes no more files' : 'Expired'} ·{' '}
        {inbox.files.length} {inbox.files.length === 1 ? 'file' : 'files'}, {formatBytes(total)}
      </p>
      {inbox.state === 'open' && <CopyField label="Request link" value={`${location.origin}${inbox.requestLink}`} />}
      {inbox.files.length === 0 ? (
        <p>Nothing has arrived yet.</p>
      ) : (
        <ul className="rows" aria-label="Received files">
          {inbox.files.map((file) => (
            <FileRow key={file.id} file={file} onOpen={setOpen} onDelete={() => api.deleteRequestFile(link.id, file.id, link.ownerToken).then(reload)} />
          ))}
        </ul>
      )}
      <p className="actions">
        <button type="button" className="secondary" onClick={reload}>
          Refresh
        </button>
        {inbox.state === 'open' && (
          <button type="button" className="secondary" onClick={act(() => api.closeRequest(link.id, link.ownerToken))}>
            Close the request
          </button>
        )}
        <button
          type="button"
          className="secondary"
          onClick={act(async () => {
            if (confirm('Delete this request and every file sent to it?')) await api.deleteRequest(link.id, link.ownerToken);
          })}
        >
          Delete the request
        </button>
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}

export function InboxPage() {
  const [opening, setOpening] = useState<Opening>({ state: 'opening' });
  const [link, setLink] = useState<InboxLink | null>(null);
  const [visit, setVisit] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `visit` is the reload trigger (Refresh, after a delete or close)
  useEffect(() => {
    const controller = new AbortController();
    (async () => {
      const parsed = parseInboxLink(location.pathname, location.hash);
      setLink(parsed);
      setOpening({ state: 'open', inbox: await openInbox(api, parsed, controller.signal) });
    })().catch((error) => !controller.signal.aborted && setOpening({ state: 'failed', message: describeError(error) }));
    return () => controller.abort();
  }, [visit]);
  return (
    <main>
      <h1>Cipherdrop</h1>
      {opening.state === 'opening' && <p role="status">Opening the inbox…</p>}
      {opening.state === 'open' && link && <Inbox inbox={opening.inbox} link={link} reload={() => setVisit((n) => n + 1)} />}
      {opening.state === 'failed' && (
        <p role="alert" className="error">
          {opening.message}
        </p>
      )}
      <p>
        <a href="/request">Ask for files again</a> · <a href="/">Share your own files</a>
      </p>
    </main>
  );
}
