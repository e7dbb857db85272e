/// <reference lib="webworker" />
/**
 * The download service worker: turns a stream of decrypted chunks from the page into a
 * browser download, so files of any size go to disk with flat memory in every browser.
 * It only relays: keys and decryption stay in the page's workers. No imports, so it builds
 * to one classic script at /sw.js.
 */
declare const self: ServiceWorkerGlobalScope;

export {};

const DOWNLOAD_PREFIX = '/_download/';

interface PendingDownload {
  port: MessagePort;
  name: string;
  size: number;
}

const pending = new Map<string, PendingDownload>();

self.addEventListener('install', () => {
  void self.skipWaiting();
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('message', (event) => {
  const data = event.data as { type?: string; token?: string; name?: string; size?: number };
  if (data?.type === 'download' && typeof data.token === 'string' && event.ports[0]) {
    pending.set(data.token, { port: event.ports[0], name: String(data.name), size: Number(data.size) });
  }
  // 'keepalive' messages need no answer: receiving them keeps this worker running mid-download.
});

function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(DOWNLOAD_PREFIX)) return;
  const token = url.pathname.slice(DOWNLOAD_PREFIX.length);
  const download = pending.get(token);
  if (!download) {
    event.respondWith(new Response('This download has expired.', { status: 404 }));
    return;
  }
  pending.delete(token);
  const { port } = download;
  let delivered: (() => void) | undefined;
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        port.onmessage = ({ data }) => {
          if (data.type === 'chunk') controller.enqueue(new Uint8Array(data.chunk as ArrayBuffer));
          else if (data.type === 'end') controller.close();
          else if (data.type === 'error') controller.error(new Error(String(data.message)));
          delivered?.();
        };
      },
      pull() {
        return new Promise<void>((resolve) => {
          delivered = resolve;
          port.postMessage({ type: 'pull' });
        });
      },
      cancel() {
        port.postMessage({ type: 'cancel' });
      },
    },
    { highWaterMark: 1 },
  );
  event.respondWith(
    new Response(stream, {
      headers: {
        'content-type': 'application/octet-stream',
        'content-disposition': contentDisposition(download.name),
        'content-length': String(download.size),
        'x-content-type-options': 'nosniff',
      },
    }),
  );
});
