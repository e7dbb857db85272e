import { type FormEvent, useEffect, useRef, useState } from 'react';
import { FILE_ID_PATTERN } from '../contract/limits.ts';
import { WrongKeyError } from '../crypto/errors.ts';
import { downloadTo, fetchLink, type LinkObjects, type OpenedLink, parseLink, prepareDownload, unlockLink } from '../download/downloader.ts';
import { MediaPreview } from '../download/media.ts';
import { MAX_TEXT_PREVIEW, MemorySink, type PreviewKind, previewBlobType, previewKind } from '../download/preview.ts';
import { BlobSink, FileSystemSink, ServiceWorkerSink, serviceWorker } from '../download/sinks.ts';
import { isAbort } from '../errors.ts';
import { api } from '../transfer/api.ts';
import { formatDuration, type Progress, SpeedMeter } from '../transfer/speed.ts';
import { describeError, formatBytes, formatExpiry } from './messages.ts';
import { sharedPool } from './pool.ts';

type Preview = { kind: Exclude<PreviewKind, 'text'>; url: string } | { kind: 'text'; text: string; truncated: boolean };

/** Object URLs of in-memory previews are revoked, streaming previews closed, when replaced. */
interface ShownPreview {
  preview: Preview;
  release: () => void;
}

type PageState =
  | { state: 'opening' }
  | { state: 'password'; objects: LinkObjects; secret: Uint8Array; wrong: boolean }
  | { state: 'ready'; link: OpenedLink; preview?: Preview | 'loading' }
  | { state: 'downloading'; link: OpenedLink; progress: Progress }
  | { state: 'saved'; link: OpenedLink; where: 'file' | 'download' }
  | { state: 'failed'; message: string; link?: OpenedLink };

function PasswordForm({ wrong, onSubmit }: { wrong: boolean; onSubmit: (password: string) => void }) {
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

/** The report names the file id (never the secret, which stays in this page). */
function abuseHref(contact: string): string {
  const id = location.pathname.split('/')[2];
  if (!id || !new RegExp(FILE_ID_PATTERN).test(id)) return contact;
  return contact.startsWith('mailto:') ? `${contact}?subject=${encodeURIComponent(`Cipherdrop abuse report: file ${id}`)}` : contact;
}

export function DownloadPage() {
  const [page, setPage] = useState<PageState>({ state: 'opening' });
  const controller = useRef<AbortController | null>(null);
  const worker = useRef<Promise<ServiceWorker | null> | null>(null);

  const [abuseContact, setAbuseContact] = useState<string | null>(null);
  useEffect(() => {
    api.config().then(
      (config) => setAbuseContact(config.abuseContact),
      () => undefined,
    );
  }, []);

  useEffect(() => {
    worker.current = serviceWorker();
    const abort = new AbortController();
    (async () => {
      try {
        const { id, secret } = parseLink(location.pathname, location.hash);
        const objects = await fetchLink(api, id, secret, abort.signal);
        if (objects.passwordParams) setPage({ state: 'password', objects, secret, wrong: false });
        else setPage({ state: 'ready', link: await unlockLink(objects, secret) });
      } catch (error) {
        if (!abort.signal.aborted) setPage({ state: 'failed', message: describeError(error) });
      }
    })();
    return () => abort.abort();
  }, []);

  const unlock = async (objects: LinkObjects, secret: Uint8Array, password: string) => {
    try {
      setPage({ state: 'ready', link: await unlockLink(objects, secret, password) });
    } catch (error) {
      if (error instanceof WrongKeyError) setPage({ state: 'password', objects, secret, wrong: true });
      else setPage({ state: 'failed', message: describeError(error) });
    }
  };

  const shown = useRef<ShownPreview | null>(null);
  const release = () => {
    shown.current?.release();
    shown.current = null;
  };
  useEffect(
    () => () => {
      shown.current?.release();
    },
    [],
  );

  /** Audio and video stream through the service worker with seeking; the rest decrypts into memory. */
  const openPreview = async (link: OpenedLink, kind: PreviewKind): Promise<ShownPreview> => {
    const sw = await worker.current;
    if ((kind === 'audio' || kind === 'video') && sw) {
      const media = await MediaPreview.open(sw, link, api, (error) => setPage({ state: 'failed', link, message: describeError(error) }));
      return { preview: { kind, url: media.url }, release: () => media.close() };
    }
    const prepared = await prepareDownload(link, { api });
    const sink = new MemorySink(previewBlobType(kind, link.meta.type));
    await downloadTo(prepared, sink, { api, runner: sharedPool() });
    const blob = sink.blob as Blob;
    if (kind === 'text') {
      const text = new TextDecoder().decode(await blob.slice(0, MAX_TEXT_PREVIEW).arrayBuffer());
      return { preview: { kind, text, truncated: blob.size > MAX_TEXT_PREVIEW }, release: () => undefined };
    }
    const url = URL.createObjectURL(blob);
    return { preview: { kind, url }, release: () => URL.revokeObjectURL(url) };
  };

  const preview = async (link: OpenedLink, kind: PreviewKind) => {
    release();
    setPage({ state: 'ready', link, preview: 'loading' });
    try {
      shown.current = await openPreview(link, kind);
      setPage({ state: 'ready', link, preview: shown.current.preview });
    } catch (error) {
      setPage({ state: 'failed', link, message: describeError(error) });
    }
  };

  const download = async (link: OpenedLink) => {
    const { name, size } = link.meta;
    let picked: FileSystemSink | null;
    try {
      // First, while the click still counts as the person's gesture: where to save (where the browser can ask).
      picked = await FileSystemSink.pick(name);
    } catch (error) {
      if (isAbort(error)) return; // The person closed the save dialog: nothing to do.
      throw error;
    }
    const abort = new AbortController();
    controller.current = abort;
    const meter = new SpeedMeter(size);
    setPage({ state: 'downloading', link, progress: meter.reading(0) });
    try {
      let prepared: Awaited<ReturnType<typeof prepareDownload>>;
      try {
        prepared = await prepareDownload(link, { api, signal: abort.signal });
      } catch (error) {
        await picked?.abort(error);
        throw error;
      }
      const sw = picked ? null : await worker.current;
      const sink = picked ?? (sw ? await ServiceWorkerSink.open(sw, name, size, () => abort.abort()) : BlobSink.open(name, size));
      await downloadTo(prepared, sink, {
        api,
        runner: sharedPool(),
        signal: abort.signal,
        onProgress: (done) => setPage({ state: 'downloading', link, progress: meter.sample(done) }),
      });
      setPage({ state: 'saved', link, where: picked ? 'file' : 'download' });
    } catch (error) {
      setPage({ state: 'failed', link, message: isAbort(error) ? 'Download cancelled. Nothing was saved.' : describeError(error) });
    }
  };

  const link = page.state === 'opening' || page.state === 'password' ? undefined : page.link;
  const kind = link ? previewKind(link.meta.type, link.meta.size) : null;
  return (
    <main>
      <h1>Cipherdrop</h1>
      {page.state === 'opening' && <p role="status">Opening the link…</p>}
      {page.state === 'password' && <PasswordForm wrong={page.wrong} onSubmit={(password) => unlock(page.objects, page.secret, password)} />}
      {link && (
        <section className="file" aria-label="Shared file">
          <h2 className="name">{link.meta.name}</h2>
          <p>
            <span className="size">{formatBytes(link.meta.size)}</span>
            {link.meta.type && <span className="type"> · {link.meta.type}</span>}
            {link.info.expiresAt !== null && <span className="type"> · {formatExpiry(link.info.expiresAt)}</span>}
          </p>
          <p className="lede">Decrypted in your browser. Each piece is verified before it is written.</p>
          {page.state === 'ready' && (
            <p className="actions">
              <button type="button" onClick={() => download(link)}>
                Download
              </button>
              {kind && page.preview === undefined && (
                <button type="button" onClick={() => preview(link, kind)}>
                  Preview
                </button>
              )}
            </p>
          )}
          {page.state === 'ready' && page.preview === 'loading' && <p role="status">Decrypting the preview…</p>}
          {page.state === 'ready' && page.preview && page.preview !== 'loading' && <PreviewView preview={page.preview} name={link.meta.name} />}
          {page.state === 'downloading' && (
            <>
              <progress aria-label="Download progress" max={link.meta.size || 1} value={page.progress.done} />
              <output className="speed" aria-label="Download speed">
                {formatBytes(page.progress.done)} of {formatBytes(link.meta.size)}
                {page.progress.speed !== null && ` · ${formatBytes(page.progress.speed)}/s`}
                {page.progress.eta !== null && page.progress.eta > 0 && ` · ${formatDuration(page.progress.eta)} left`}
              </output>
              <button type="button" onClick={() => controller.current?.abort()}>
                Cancel
              </button>
            </>
          )}
          {page.state === 'saved' && <p role="status">{page.where === 'file' ? 'Saved and verified.' : 'Downloaded and verified.'}</p>}
        </section>
      )}
      {page.state === 'failed' && (
        <p role="alert" className="error">
          {page.message}
        </p>
      )}
      <p>
        <a href="/">Send your own file</a>
        {abuseContact && (
          <>
            {' · '}
            <a href={abuseHref(abuseContact)} rel="noreferrer">
              Report abuse
            </a>
          </>
        )}
      </p>
    </main>
  );
}
