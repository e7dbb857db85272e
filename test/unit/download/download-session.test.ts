/**
 * The download session against a stubbed engine: every step the engine takes is held until the
 * test lets it go, so what the session does at each moment (aborts, releases, ignored late results)
 * is observed exactly. The e2e tests run the same session in the page against the real store.
 */
import { describe, expect, it, vi } from 'vitest';
import { WrongKeyError } from '../../../src/crypto/errors.ts';
import type { PasswordParams } from '../../../src/crypto/password.ts';
import type { DataObject } from '../../../src/download/data-object.ts';
import type { LinkObjects, OpenedLink, Sink } from '../../../src/download/downloader.ts';
import type { PreviewKind } from '../../../src/download/preview.ts';
import { abuseHref, type DownloadEngine, DownloadSession, linkProblem, type ShownPreview } from '../../../src/download/session.ts';
import { LinkError, TransferError } from '../../../src/errors.ts';

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const PATH = `/d/${ID}`;

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every settled promise's continuations run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

const abortError = () => new DOMException('aborted', 'AbortError');

function fakeSink() {
  return { write: vi.fn(async () => undefined), close: vi.fn(async () => undefined), abort: vi.fn(async () => undefined) } satisfies Sink;
}

function fileLink(type = 'image/png', size = 100): OpenedLink {
  return { id: ID, meta: { name: 'photo.png', type, size }, info: { expiresAt: null } } as unknown as OpenedLink;
}

/** An engine whose every step waits for the test (or follows a simple default). */
function harness(options: { locked?: boolean; link?: OpenedLink; fetch?: () => Promise<LinkObjects>; parse?: DownloadEngine['parseLink'] } = {}) {
  const link = options.link ?? fileLink();
  const objects = { id: ID, passwordParams: options.locked ? ({} as PasswordParams) : null } as LinkObjects;
  const previews: { kind: PreviewKind; signal: AbortSignal; onError: (error: unknown) => void; shown: ReturnType<typeof deferred<ShownPreview>> }[] = [];
  const downloads: { sink: Sink; onProgress: (done: number) => void; done: ReturnType<typeof deferred<void>> }[] = [];
  const opened: { signal: AbortSignal; result: ReturnType<typeof deferred<DataObject>> }[] = [];
  const browserSinks: { sink: ReturnType<typeof fakeSink>; onCancel: () => void }[] = [];
  let picking: Promise<Sink | null> = Promise.resolve(null);
  let fetchSignal: AbortSignal | undefined;
  const engine: DownloadEngine = {
    parseLink: options.parse ?? (() => ({ id: ID, secret: new Uint8Array(32) })),
    fetchLink: vi.fn((_id: string, _secret: Uint8Array, signal: AbortSignal) => {
      fetchSignal = signal;
      return options.fetch ? options.fetch() : Promise.resolve(objects);
    }),
    unlockLink: vi.fn(async (_o: LinkObjects, _s: Uint8Array, password?: string) => {
      if (options.locked && password !== 'right') throw new WrongKeyError('no');
      return link;
    }),
    openDataObject: vi.fn((_link: OpenedLink, signal: AbortSignal) => {
      const result = deferred<DataObject>();
      opened.push({ signal, result });
      return result.promise;
    }),
    downloadTo: vi.fn((data: DataObject, sink: Sink, onProgress: (done: number) => void) => {
      const done = deferred<void>();
      downloads.push({ sink, onProgress, done });
      // As the real one: an abort of the data object's signal fails the download and aborts the sink.
      data.signal?.addEventListener('abort', () => done.reject(abortError()));
      return done.promise.catch(async (error) => {
        await sink.abort(error);
        throw error;
      });
    }),
    pickSaveFile: vi.fn(() => picking),
    openDownloadSink: vi.fn(async (_name: string, _size: number, onCancel: () => void) => {
      const sink = fakeSink();
      browserSinks.push({ sink, onCancel });
      return sink;
    }),
    openPreview: vi.fn((_link: OpenedLink, kind: PreviewKind, signal: AbortSignal, onError: (error: unknown) => void) => {
      const shown = deferred<ShownPreview>();
      previews.push({ kind, signal, onError, shown });
      return shown.promise;
    }),
    abuseContact: async () => 'mailto:abuse@example.org',
  };
  const session = new DownloadSession({ engine, describe: (e) => (e instanceof Error ? e.message : String(e)), pathname: PATH, hash: '#secret' });
  const page = () => session.getSnapshot().page;
  return {
    engine,
    session,
    page,
    link,
    previews,
    downloads,
    opened,
    browserSinks,
    fetchSignal: () => fetchSignal,
    pickWith: (p: Promise<Sink | null>) => {
      picking = p;
    },
    /** A data object whose reads run under `signal`, as openDataObject's do. */
    dataFor: (signal: AbortSignal) => ({ signal }) as DataObject,
  };
}

async function opened(h: ReturnType<typeof harness>) {
  h.session.open();
  await settle();
  expect(h.page().state).toBe('ready');
}

async function previewShown(h: ReturnType<typeof harness>) {
  await opened(h);
  h.session.showPreview();
  const release = vi.fn();
  h.previews[0].shown.resolve({ preview: { kind: 'image', url: 'blob:x' }, release });
  await settle();
  expect(h.page().state).toBe('previewing');
  return release;
}

describe('opening a link', () => {
  it('opens a link without a password straight to the file, with the abuse report naming the file id', async () => {
    const h = harness();
    const seen: string[] = [];
    h.session.subscribe(() => seen.push(h.page().state));
    h.session.open();
    await settle();
    expect(h.page()).toEqual({ state: 'ready', link: h.link, previewKind: 'image' });
    expect(seen).toContain('opening');
    expect(h.session.getSnapshot().abuseHref).toBe(`mailto:abuse@example.org?subject=${encodeURIComponent(`Cipherdrop abuse report: file ${ID}`)}`);
  });

  it('tells a malformed link, a missing file, an expired link, a wrong key and other failures apart', async () => {
    const cases: [Parameters<typeof harness>[0], string][] = [
      [
        {
          parse: () => {
            throw new LinkError('BadLink', 'bad');
          },
        },
        'malformed',
      ],
      [{ fetch: () => Promise.reject(new TransferError('NotFound', 'gone', 404)) }, 'missing'],
      [{ fetch: () => Promise.reject(new TransferError('Expired', 'old', 410)) }, 'expired'],
      [{ fetch: () => Promise.reject(new TransferError('Network', 'down')) }, 'unreadable'],
    ];
    for (const [options, problem] of cases) {
      const h = harness(options);
      h.session.open();
      await settle();
      expect(h.page()).toMatchObject({ state: 'unavailable', problem });
    }
    expect(linkProblem(new WrongKeyError('no'))).toBe('wrongKey');
  });

  it('asks for the password, says when it is wrong, ignores a second submit while checking, and opens with the right one', async () => {
    const h = harness({ locked: true });
    h.session.open();
    await settle();
    expect(h.page()).toMatchObject({ state: 'password', wrong: false });
    h.session.unlock('wrong');
    expect(h.page()).toMatchObject({ state: 'unlocking', wrong: false });
    h.session.unlock('again');
    await settle();
    expect(h.engine.unlockLink).toHaveBeenCalledTimes(1); // one of the two submits
    expect(h.page()).toMatchObject({ state: 'password', wrong: true });
    h.session.unlock('right');
    await settle();
    expect(h.page().state).toBe('ready');
  });

  it('close() aborts the opening; open() starts afresh (a page mounted twice)', async () => {
    const fetches: ReturnType<typeof deferred<LinkObjects>>[] = [];
    const h = harness({
      fetch: () => {
        fetches.push(deferred<LinkObjects>());
        return fetches[fetches.length - 1].promise;
      },
    });
    h.session.open();
    const first = h.fetchSignal();
    h.session.close();
    expect(first?.aborted).toBe(true);
    h.session.open();
    expect(h.fetchSignal()?.aborted).toBe(false);
    fetches[0].reject(abortError()); // the first fetch ends, aborted: not a failure of the second
    await settle();
    expect(h.page().state).toBe('opening');
    fetches[1].resolve({ id: ID, passwordParams: null } as LinkObjects);
    await settle();
    expect(h.page().state).toBe('ready');
  });

  it('links the abuse report to the bare address when the path names no file', () => {
    expect(abuseHref('mailto:a@b.c', '/d/short')).toBe('mailto:a@b.c');
    expect(abuseHref('https://example.org/report', PATH)).toBe('https://example.org/report');
  });
});

describe('previews', () => {
  it('shows a preview; closing it aborts its reads and releases its object URL', async () => {
    const h = harness();
    const release = await previewShown(h);
    expect(h.page()).toMatchObject({ state: 'previewing', preview: { kind: 'image', url: 'blob:x' } });
    h.session.closePreview();
    expect(h.page().state).toBe('ready');
    expect(h.previews[0].signal.aborted).toBe(true);
    expect(release).toHaveBeenCalledOnce();
  });

  it('a preview closed while it loads is aborted, and what it opens after all is released at once', async () => {
    const h = harness();
    await opened(h);
    h.session.showPreview();
    expect(h.page().state).toBe('loadingPreview');
    h.session.closePreview();
    expect(h.previews[0].signal.aborted).toBe(true);
    const release = vi.fn();
    h.previews[0].shown.resolve({ preview: { kind: 'image', url: 'blob:late' }, release });
    await settle();
    expect(release).toHaveBeenCalledOnce();
    expect(h.page().state).toBe('ready');
  });

  it('a closed preview that fails (aborted) leaves the file ready; reopening starts a new one', async () => {
    const h = harness();
    await opened(h);
    h.session.showPreview();
    h.session.closePreview();
    h.previews[0].shown.reject(abortError());
    h.previews[0].onError(new Error('late'));
    await settle();
    expect(h.page().state).toBe('ready');
    h.session.showPreview();
    expect(h.previews).toHaveLength(2);
    expect(h.previews[1].signal.aborted).toBe(false);
  });

  it('a streaming preview that meets a damaged frame fails with the reason and lets go of the stream', async () => {
    const h = harness({ link: fileLink('video/webm') });
    await opened(h);
    h.session.showPreview();
    const release = vi.fn();
    h.previews[0].shown.resolve({ preview: { kind: 'video', url: '/d/_media/t' }, release });
    await settle();
    h.previews[0].onError(new Error('corrupted at frame 7'));
    expect(h.page()).toMatchObject({ state: 'failed', message: 'corrupted at frame 7', link: h.link });
    expect(h.previews[0].signal.aborted).toBe(true);
    expect(release).toHaveBeenCalledOnce();
  });

  it('a preview that fails to load shows why and keeps the file on show', async () => {
    const h = harness();
    await opened(h);
    h.session.showPreview();
    h.previews[0].shown.reject(new Error('truncated'));
    await settle();
    expect(h.page()).toEqual({ state: 'failed', link: h.link, message: 'truncated' });
  });

  it('is not offered for a download-only file', async () => {
    const h = harness({ link: fileLink('text/html') });
    await opened(h);
    h.session.showPreview();
    expect(h.engine.openPreview).not.toHaveBeenCalled();
    expect(h.page().state).toBe('ready');
  });

  it('starting a download aborts the preview and releases it', async () => {
    const h = harness();
    const release = await previewShown(h);
    h.session.startDownload();
    expect(h.page().state).toBe('choosingSink');
    expect(h.previews[0].signal.aborted).toBe(true);
    expect(release).toHaveBeenCalledOnce();
  });

  it('closing the page aborts a loading preview', async () => {
    const h = harness();
    await opened(h);
    h.session.showPreview();
    h.session.close();
    expect(h.previews[0].signal.aborted).toBe(true);
  });
});

describe('downloads', () => {
  it('asks where to save within the click, then writes the picked file and says it was saved', async () => {
    const h = harness();
    await opened(h);
    const picked = fakeSink();
    h.pickWith(Promise.resolve(picked));
    h.session.startDownload();
    // Synchronously, before any await: the save dialog needs the click's gesture.
    expect(h.engine.pickSaveFile).toHaveBeenCalledWith('photo.png');
    await settle();
    expect(h.page()).toMatchObject({ state: 'downloading', where: 'file', progress: { done: 0, total: 100 } });
    h.opened[0].result.resolve(h.dataFor(h.opened[0].signal));
    await settle();
    expect(h.engine.openDownloadSink).not.toHaveBeenCalled();
    expect(h.downloads[0].sink).toBe(picked);
    h.downloads[0].onProgress(60);
    expect(h.page()).toMatchObject({ state: 'downloading', progress: { done: 60, total: 100 } });
    h.downloads[0].done.resolve();
    await settle();
    expect(h.page()).toEqual({ state: 'done', link: h.link, where: 'file' });
  });

  it('without a save dialog, starts a browser download only once the data object opened', async () => {
    const h = harness();
    await opened(h);
    h.session.startDownload();
    await settle();
    expect(h.page()).toMatchObject({ state: 'downloading', where: 'download' });
    expect(h.engine.openDownloadSink).not.toHaveBeenCalled();
    h.opened[0].result.resolve(h.dataFor(h.opened[0].signal));
    await settle();
    expect(h.browserSinks).toHaveLength(1);
    h.downloads[0].done.resolve();
    await settle();
    expect(h.page()).toEqual({ state: 'done', link: h.link, where: 'download' });
  });

  it('a closed save dialog leaves the file ready, its preview kind still offered', async () => {
    const h = harness();
    await opened(h);
    h.pickWith(Promise.reject(abortError()));
    h.session.startDownload();
    await settle();
    expect(h.page()).toEqual({ state: 'ready', link: h.link, previewKind: 'image' });
    expect(h.engine.openDataObject).not.toHaveBeenCalled();
  });

  it('a data object that does not open discards the picked file and names the reason; no browser download starts', async () => {
    const h = harness();
    await opened(h);
    const picked = fakeSink();
    h.pickWith(Promise.resolve(picked));
    h.session.startDownload();
    await settle();
    const error = new Error('does not belong to this link');
    h.opened[0].result.reject(error);
    await settle();
    expect(picked.abort).toHaveBeenCalledWith(error);
    expect(h.page()).toEqual({ state: 'failed', link: h.link, message: 'does not belong to this link' });
  });

  it('Cancel aborts the download: the sink is aborted and the page says nothing was saved', async () => {
    const h = harness();
    await opened(h);
    h.session.startDownload();
    await settle();
    h.opened[0].result.resolve(h.dataFor(h.opened[0].signal));
    await settle();
    h.session.cancelDownload();
    expect(h.opened[0].signal.aborted).toBe(true);
    await settle();
    expect(h.browserSinks[0].sink.abort).toHaveBeenCalled();
    expect(h.page()).toEqual({ state: 'cancelled', link: h.link });
    h.downloads[0].onProgress(90); // a late report changes nothing
    expect(h.page().state).toBe('cancelled');
  });

  it("cancelling in the browser's download list cancels the same way", async () => {
    const h = harness();
    await opened(h);
    h.session.startDownload();
    await settle();
    h.opened[0].result.resolve(h.dataFor(h.opened[0].signal));
    await settle();
    h.browserSinks[0].onCancel();
    await settle();
    expect(h.page().state).toBe('cancelled');
  });

  it('a failure while writing names the reason', async () => {
    const h = harness();
    await opened(h);
    h.session.startDownload();
    await settle();
    h.opened[0].result.resolve(h.dataFor(h.opened[0].signal));
    await settle();
    h.downloads[0].done.reject(new Error('corrupted at frame 3'));
    await settle();
    expect(h.page()).toEqual({ state: 'failed', link: h.link, message: 'corrupted at frame 3' });
  });

  it('closing the page aborts the download; a file picked after the page closed is discarded', async () => {
    const h = harness();
    await opened(h);
    h.session.startDownload();
    await settle();
    h.session.close();
    expect(h.opened[0].signal.aborted).toBe(true);

    const g = harness();
    await opened(g);
    const picking = deferred<Sink | null>();
    g.pickWith(picking.promise);
    g.session.startDownload();
    g.session.close();
    const picked = fakeSink();
    picking.resolve(picked);
    await settle();
    expect(picked.abort).toHaveBeenCalled();
    expect(g.engine.openDataObject).not.toHaveBeenCalled();
  });

  it('offers no second download while one runs', async () => {
    const h = harness();
    await opened(h);
    h.session.startDownload();
    await settle();
    h.session.startDownload();
    expect(h.engine.pickSaveFile).toHaveBeenCalledOnce();
  });
});
