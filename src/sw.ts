/// <reference lib="webworker" />
/**
 * The service worker relays decrypted bytes from the page to the browser; keys and decryption
 * stay in the page's workers. It builds to one classic script at /sw.js: it may import only
 * modules nothing else imports (platform/sw-headers.ts), which the bundler inlines — a module
 * shared with the page would become a chunk, an `import` a classic script cannot run.
 *
 * - `/d/_download/<token>`: a browser download of a stream of chunks, so files of any size go to
 *   disk with flat memory in every browser.
 * - `/d/_media/<token>`: HTTP Range requests of a media element (audio/video preview). Each request
 *   gets its own channel to the page, which reads and authenticates only the covering frames.
 */
declare const self: ServiceWorkerGlobalScope;

import { COMMON, downloadHeaders } from './platform/sw-headers.ts';

/** Within the worker's scope, `/d/` (SERVICE_WORKER_SCOPE, download/sinks.ts): the only pages it controls are download pages. */
const DOWNLOAD_PREFIX = '/d/_download/';
const MEDIA_PREFIX = '/d/_media/';

interface Relay {
  port: MessagePort;
  name: string;
  size: number;
  type: string;
}

const downloads = new Map<string, Relay>();
const media = new Map<string, Relay>();

self.addEventListener('install', () => {
  void self.skipWaiting();
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('message', (event) => {
  const data = event.data as { type?: string; token?: string; name?: string; size?: number; mediaType?: string };
  const port = event.ports[0];
  if (typeof data?.token !== 'string') return; // 'keepalive' needs no answer: receiving it keeps this worker running.
  if (data.type === 'download' && port) downloads.set(data.token, { port, name: String(data.name), size: Number(data.size), type: 'application/octet-stream' });
  if (data.type === 'media' && port) media.set(data.token, { port, name: '', size: Number(data.size), type: mediaType(String(data.mediaType)) });
  // The page requests the URL only after this: a message and a fetch have no order between them.
  if ((data.type === 'download' || data.type === 'media') && port) port.postMessage({ type: 'registered' });
  if (data.type === 'forget') media.delete(data.token);
});

/** Only audio and video are ever served for playback; anything else is opaque bytes. */
function mediaType(type: string): string {
  return /^(audio|video)\/[\w.+-]+$/.test(type) ? type : 'application/octet-stream';
}

/**
 * A stream fed by the page over `port`: one 'pull' message per chunk wanted.
 *
 * Each 'pull' also hands back (transfers) the chunk the browser has finished with. Left here, a
 * relayed chunk would be garbage in this worker's isolate, which runs almost no JavaScript and so
 * is rarely collected: a 1 GiB save held up to the whole file in the renderer (measured, README
 * "Benchmark"). Transferring the buffer moves its memory out at once; the page collects often.
 * The browser reads a chunk from this stream only once it has consumed all of the one before
 * (the stream holds one chunk, highWaterMark 1), so when it asks again the chunk before the one
 * it read last is no longer read by anyone.
 */
function relay(port: MessagePort): ReadableStream<Uint8Array> {
  let delivered: (() => void) | undefined;
  /** the chunk enqueued last (the browser may still be reading it) and the one before it */
  let last: ArrayBuffer | undefined;
  let before: ArrayBuffer | undefined;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        port.onmessage = ({ data }) => {
          if (data.type === 'chunk') {
            const chunk = data.chunk as ArrayBuffer;
            controller.enqueue(new Uint8Array(chunk));
            [before, last] = [last, chunk];
          } else if (data.type === 'end') controller.close();
          else if (data.type === 'error') controller.error(new Error(String(data.message)));
          delivered?.();
        };
      },
      pull() {
        return new Promise<void>((resolve) => {
          delivered = resolve;
          const spent = before;
          before = undefined;
          if (spent) port.postMessage({ type: 'pull', spent }, [spent]);
          else port.postMessage({ type: 'pull' });
        });
      },
      cancel() {
        port.postMessage({ type: 'cancel' });
      },
    },
    { highWaterMark: 1 },
  );
}

const NOT_FOUND = () => new Response('This download has expired.', { status: 404 });

function download(token: string): Response {
  const relayed = downloads.get(token);
  if (!relayed) return NOT_FOUND();
  downloads.delete(token);
  return new Response(relay(relayed.port), { headers: downloadHeaders(relayed) });
}

/** `bytes=a-b` or `bytes=a-` (what media elements send); null means the whole file. */
function parseRange(header: string | null, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const match = header ? /^bytes=(\d+)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return null;
  const start = Number(match[1]);
  const end = Math.min(size - 1, match[2] === '' ? size - 1 : Number(match[2]));
  return start >= size || end < start ? 'unsatisfiable' : { start, end };
}

function mediaRange(token: string, rangeHeader: string | null): Response {
  const relayed = media.get(token);
  if (!relayed) return NOT_FOUND();
  const { size, type } = relayed;
  const range = parseRange(rangeHeader, size);
  if (range === 'unsatisfiable') return new Response(null, { status: 416, headers: { ...COMMON, 'content-range': `bytes */${size}` } });
  const { start, end } = range ?? { start: 0, end: size - 1 };
  const headers: Record<string, string> = { ...COMMON, 'content-type': type, 'accept-ranges': 'bytes', 'content-length': String(end - start + 1) };
  if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  if (size === 0) return new Response(new Uint8Array(0), { status: 200, headers });
  const channel = new MessageChannel();
  relayed.port.postMessage({ type: 'range', start, end }, [channel.port2]);
  return new Response(relay(channel.port1), { status: range ? 206 : 200, headers });
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith(DOWNLOAD_PREFIX)) event.respondWith(download(url.pathname.slice(DOWNLOAD_PREFIX.length)));
  else if (url.pathname.startsWith(MEDIA_PREFIX)) event.respondWith(mediaRange(url.pathname.slice(MEDIA_PREFIX.length), event.request.headers.get('range')));
});
