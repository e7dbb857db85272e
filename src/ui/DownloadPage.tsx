import { useEffect, useRef, useState } from 'react';
import { downloadTo, type OpenedLink, openLink, parseLink, prepareDownload } from '../download/downloader.ts';
import { BlobSink, ServiceWorkerSink, serviceWorker } from '../download/sinks.ts';
import { isAbort } from '../errors.ts';
import { api } from '../transfer/api.ts';
import { describeError, formatBytes } from './messages.ts';
import { sharedPool } from './pool.ts';

type PageState =
  | { state: 'opening' }
  | { state: 'ready'; link: OpenedLink }
  | { state: 'downloading'; link: OpenedLink; done: number }
  | { state: 'saved'; link: OpenedLink }
  | { state: 'failed'; message: string; link?: OpenedLink };

export function DownloadPage() {
  const [page, setPage] = useState<PageState>({ state: 'opening' });
  const controller = useRef<AbortController | null>(null);
  const worker = useRef<Promise<ServiceWorker | null> | null>(null);

  useEffect(() => {
    worker.current = serviceWorker();
    const abort = new AbortController();
    (async () => {
      try {
        const { id, secret } = parseLink(location.pathname, location.hash);
        const link = await openLink(api, id, secret, abort.signal);
        setPage({ state: 'ready', link });
      } catch (error) {
        if (!abort.signal.aborted) setPage({ state: 'failed', message: describeError(error) });
      }
    })();
    return () => abort.abort();
  }, []);

  const download = async (link: OpenedLink) => {
    const abort = new AbortController();
    controller.current = abort;
    setPage({ state: 'downloading', link, done: 0 });
    try {
      const prepared = await prepareDownload(link, { api, signal: abort.signal });
      const sw = await worker.current;
      const { name, size } = link.meta;
      const sink = sw ? ServiceWorkerSink.open(sw, name, size, () => abort.abort()) : BlobSink.open(name, size);
      await downloadTo(prepared, sink, { api, pool: sharedPool(), signal: abort.signal, onProgress: (done) => setPage({ state: 'downloading', link, done }) });
      setPage({ state: 'saved', link });
    } catch (error) {
      setPage({ state: 'failed', link, message: isAbort(error) ? 'Download cancelled. Nothing was saved.' : describeError(error) });
    }
  };

  const link = page.state === 'opening' ? undefined : page.link;
  return (
    <main>
      <h1>Cipherdrop</h1>
      {page.state === 'opening' && <p role="status">Opening the link…</p>}
      {link && (
        <section className="file" aria-label="Shared file">
          <h2 className="name">{link.meta.name}</h2>
          <p>
            <span className="size">{formatBytes(link.meta.size)}</span>
            {link.meta.type && <span className="type"> · {link.meta.type}</span>}
          </p>
          <p className="lede">Decrypted in your browser. Each piece is verified before it is written.</p>
          {page.state === 'ready' && (
            <button type="button" onClick={() => download(link)}>
              Download
            </button>
          )}
          {page.state === 'downloading' && (
            <>
              <progress aria-label="Download progress" max={link.meta.size || 1} value={page.done} />
              <button type="button" onClick={() => controller.current?.abort()}>
                Cancel
              </button>
            </>
          )}
          {page.state === 'saved' && <p role="status">Downloaded and verified.</p>}
        </section>
      )}
      {page.state === 'failed' && (
        <p role="alert" className="error">
          {page.message}
        </p>
      )}
      <p>
        <a href="/">Send your own file</a>
      </p>
    </main>
  );
}
