/** The share link's page: renders the download session's snapshots and forwards the person's intents to it. */
import { type FormEvent, type ReactNode, useEffect, useState, useSyncExternalStore } from 'react';
import type { OpenedLink } from '../download/downloader.ts';
import { type DownloadEngine, DownloadSession } from '../download/session.ts';
import type { DownloadState, Preview } from '../download/states.ts';
import { formatDuration, type Progress } from '../transfer/speed.ts';
import { api } from './api.ts';
import { browserDownloadEngine } from './download-engine.ts';
import { describeError, formatBytes, formatExpiry } from './messages.ts';

let engine: DownloadEngine | undefined;
/** One engine for the page: it registers the service worker once. */
export function pageEngine(): DownloadEngine {
  engine ??= browserDownloadEngine(api);
  return engine;
}

export function PasswordForm({ wrong, onSubmit }: { wrong: boolean; onSubmit: (password: string) => void }) {
  const [password, setPassword] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(password);
  };
  return (
    <form className="password" onSubmit={submit}>
      <p>This link is protected by a password.</p>
      <label htmlFor="link-password">Password</label>
      <input id="link-password" type="password" autoComplete="off" value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
      <button type="submit">Open</button>
      {wrong && (
        <p role="alert" className="error">
          That password does not open this file.
        </p>
      )}
    </form>
  );
}

function PreviewView({ preview, name }: { preview: Preview; name: string }) {
  switch (preview.kind) {
    case 'image':
      return <img className="preview" src={preview.url} alt={name} />;
    case 'audio':
      // biome-ignore lint/a11y/useMediaCaption: user files come without captions
      return <audio className="preview" src={preview.url} controls preload="metadata" aria-label={`Preview of ${name}`} />;
    case 'video':
      // biome-ignore lint/a11y/useMediaCaption: user files come without captions
      return <video className="preview" src={preview.url} controls preload="metadata" aria-label={`Preview of ${name}`} />;
    case 'pdf':
      // The browser's own PDF viewer; the Blob's type is fixed to application/pdf (previewBlobType).
      return <iframe className="preview pdf" src={preview.url} title={`Preview of ${name}`} />;
    case 'text':
      return (
        <section aria-label={`Preview of ${name}`}>
          <pre className="preview">
            {preview.text}
            {preview.truncated ? '\n…' : ''}
          </pre>
        </section>
      );
  }
}

function DownloadProgress({ link, progress, onCancel }: { link: OpenedLink; progress: Progress; onCancel: () => void }) {
  return (
    <>
      <progress aria-label="Download progress" max={link.meta.size || 1} value={progress.done} />
      <output className="speed" aria-label="Download speed">
        {formatBytes(progress.done)} of {formatBytes(link.meta.size)}
        {progress.speed !== null && ` · ${formatBytes(progress.speed)}/s`}
        {progress.eta !== null && progress.eta > 0 && ` · ${formatDuration(progress.eta)} left`}
      </output>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </>
  );
}

/** What the page offers for the file in state `s`, below its details. */
function FileBody({ s, session }: { s: DownloadState & { link: OpenedLink }; session: DownloadSession }) {
  const name = s.link.meta.name;
  const previewing = s.state === 'loadingPreview' || s.state === 'previewing';
  return (
    <>
      {(s.state === 'ready' || previewing) && (
        <p className="actions">
          <button type="button" onClick={() => session.startDownload()}>
            Download
          </button>
          {s.state === 'ready' && s.previewKind && (
            <button type="button" onClick={() => session.showPreview()}>
              Preview
            </button>
          )}
          {previewing && (
            <button type="button" className="secondary" onClick={() => session.closePreview()}>
              Close preview
            </button>
          )}
        </p>
      )}
      {s.state === 'loadingPreview' && <p role="status">Decrypting the preview…</p>}
      {s.state === 'previewing' && <PreviewView preview={s.preview} name={name} />}
      {s.state === 'downloading' && <DownloadProgress link={s.link} progress={s.progress} onCancel={() => session.cancelDownload()} />}
      {s.state === 'done' && <p role="status">{s.where === 'file' ? 'Saved and verified.' : 'Downloaded and verified.'}</p>}
    </>
  );
}

function FileDetails({ link, children }: { link: OpenedLink; children: ReactNode }) {
  return (
    <section className="file" aria-label={link.requestId ? 'Received file' : 'Shared file'}>
      <h2 className="name">{link.meta.name}</h2>
      <p>
        <span className="size">{formatBytes(link.meta.size)}</span>
        {link.meta.type && <span className="type"> · {link.meta.type}</span>}
        {link.info.expiresAt !== null && <span className="type"> · {formatExpiry(link.info.expiresAt)}</span>}
      </p>
      <p className="lede">Decrypted in your browser. Each piece is verified before it is written.</p>
      {children}
    </section>
  );
}

/** The page's one alert: why the link did not open, or how the preview or download ended. */
function alertOf(s: DownloadState): string | null {
  if (s.state === 'unavailable' || s.state === 'failed') return s.message;
  if (s.state === 'cancelled') return 'Download cancelled. Nothing was saved.';
  return null;
}

/** Everything about one file: opening, the password, details, preview, download, and how it ended. */
export function SessionView({ session }: { session: DownloadSession }) {
  const { page } = useSyncExternalStore(session.subscribe, session.getSnapshot);
  const alert = alertOf(page);
  return (
    <>
      {page.state === 'opening' && <p role="status">Opening the link…</p>}
      {(page.state === 'password' || page.state === 'unlocking') && <PasswordForm wrong={page.wrong} onSubmit={(password) => session.unlock(password)} />}
      {'link' in page && (
        <FileDetails link={page.link}>
          <FileBody s={page} session={session} />
        </FileDetails>
      )}
      {alert && (
        <p role="alert" className="error">
          {alert}
        </p>
      )}
    </>
  );
}

export function DownloadPage() {
  const [session] = useState(() => new DownloadSession({ engine: pageEngine(), describe: describeError, pathname: location.pathname, hash: location.hash }));
  useEffect(() => {
    session.open();
    return () => session.close();
  }, [session]);
  const { abuseHref } = useSyncExternalStore(session.subscribe, session.getSnapshot);
  return (
    <main>
      <h1>Cipherdrop</h1>
      <SessionView session={session} />
      <p>
        <a href="/">Send your own file</a>
        {abuseHref && (
          <>
            {' · '}
            <a href={abuseHref} rel="noreferrer">
              Report abuse
            </a>
          </>
        )}
      </p>
    </main>
  );
}
