/**
 * The download session's engine in the browser: src/download/* with this page's API client,
 * worker pool and service worker. Previews: audio and video stream through the service worker with
 * seeking (media.ts); images, text and PDF decrypt into memory (preview.ts), each frame verified.
 */
import { openDataObject } from '../download/data-object.ts';
import { downloadTo, fetchLink, type OpenedLink, parseLink, unlockLink } from '../download/downloader.ts';
import { MediaPreview } from '../download/media.ts';
import { MAX_TEXT_PREVIEW, MemorySink, type PreviewKind, previewBlobType } from '../download/preview.ts';
import type { DownloadEngine, ShownPreview } from '../download/session.ts';
import { BlobSink, FileSystemSink, ServiceWorkerSink, serviceWorker } from '../download/sinks.ts';
import { downloadPath } from '../platform/features.ts';
import type { Api } from '../transfer/api.ts';
import { sharedPool } from './pool.ts';

export function browserDownloadEngine(api: Api): DownloadEngine {
  // Registered as the page opens, so it is ready by the time the person clicks.
  const worker = serviceWorker();
  const engine: DownloadEngine = {
    parseLink,
    fetchLink: (id, secret, signal) => fetchLink(api, id, secret, signal),
    unlockLink,
    openDataObject: (link, signal) => openDataObject(link, { api, runner: sharedPool(), signal }),
    downloadTo: (data, sink, onProgress) => downloadTo(data, sink, { onProgress }),
    pickSaveFile: (name) => FileSystemSink.pick(name),
    // Without a picked file: the service worker's stream, else ('blob', or a registration the
    // browser refused) a Blob up to MAX_BLOB_DOWNLOAD.
    openDownloadSink: async (name, size, onCancel) => {
      const sw = downloadPath() === 'blob' ? null : await worker;
      return sw ? ServiceWorkerSink.open(sw, name, size, onCancel) : BlobSink.open(name, size);
    },
    openPreview: async (link, kind, signal, onError) => {
      const sw = await worker;
      if ((kind === 'audio' || kind === 'video') && sw) return mediaPreview(sw, link, kind, api, signal, onError);
      return memoryPreview(engine, link, kind, signal);
    },
    abuseContact: async () => (await api.config()).abuseContact,
  };
  return engine;
}

async function mediaPreview(
  sw: ServiceWorker,
  link: OpenedLink,
  kind: 'audio' | 'video',
  api: Api,
  signal: AbortSignal,
  onError: (error: unknown) => void,
): Promise<ShownPreview> {
  const media = await MediaPreview.open(sw, link, { api, runner: sharedPool(), signal }, onError);
  // Opening reads the header and registers with the service worker; a preview closed meanwhile ends here.
  if (signal.aborted) {
    media.close();
    signal.throwIfAborted();
  }
  return { preview: { kind, url: media.url }, release: () => media.close() };
}

async function memoryPreview(engine: DownloadEngine, link: OpenedLink, kind: PreviewKind, signal: AbortSignal): Promise<ShownPreview> {
  const sink = new MemorySink(previewBlobType(kind, link.meta.type));
  await engine.downloadTo(await engine.openDataObject(link, signal), sink, () => undefined);
  const blob = sink.blob as Blob;
  if (kind === 'text') {
    const text = new TextDecoder().decode(await blob.slice(0, MAX_TEXT_PREVIEW).arrayBuffer());
    return { preview: { kind, text, truncated: blob.size > MAX_TEXT_PREVIEW }, release: () => undefined };
  }
  const url = URL.createObjectURL(blob);
  return { preview: { kind, url }, release: () => URL.revokeObjectURL(url) };
}
