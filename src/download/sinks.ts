/**
 * Where decrypted bytes go. The service-worker sink streams into a real browser download
 * (any size, flat memory, every browser with service workers). Without a service worker a
 * Blob is used, but only for small files: a Blob holds the whole file in memory.
 */
import { randomBytes, toBase64Url } from '../crypto/bytes.ts';
import { LinkError, TransferError } from '../errors.ts';
import { downloadPath, features } from '../platform/features.ts';
import { spentPlaintext } from '../transfer/buffers.ts';
import type { Sink } from './downloader.ts';
import { MAX_BLOB_DOWNLOAD } from './limits.ts';

/** Chromium stops an idle service worker after ~30 s; a message from the page keeps it alive. */
export const KEEPALIVE_MS = 10_000;
/** How long the browser may take to route the download request to the service worker. */
const START_TIMEOUT_MS = 15_000;

/**
 * Hands the service worker `port2` for `message.token` and resolves once it has stored it. The
 * message and the request that follows (the download frame, a media element's first range) are
 * separate events with no order between them: a worker started again after an idle stop may see
 * the request first and answer 404, and the download would never start. So nothing is requested
 * before the worker says it is registered.
 */
export function registerRelay(
  worker: ServiceWorker,
  message: { type: 'download' | 'media'; token: string; [field: string]: unknown },
  port1: MessagePort,
  port2: MessagePort,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      port1.removeEventListener('message', onMessage);
      reject(new LinkError('NoStreamingSave', 'The service worker did not answer'));
    }, START_TIMEOUT_MS);
    const onMessage = ({ data }: MessageEvent) => {
      if (data?.type !== 'registered') return;
      clearTimeout(timer);
      port1.removeEventListener('message', onMessage);
      resolve();
    };
    port1.addEventListener('message', onMessage);
    port1.start();
    worker.postMessage(message, [port2]);
  });
}

/**
 * The service worker's scope: the download page (`/d/<id>`), whose media previews need it to
 * control the page, and its own URLs (`/d/_download/`, `/d/_media/`, sw.ts), which a page of any
 * path can request. No other page is controlled: a controlled page's workers send every request
 * through the worker's fetch event, and in Chromium each PUT's 16 MiB body was copied into the
 * service worker's and a browser thread's memory on the way (~150 MiB more renderer memory and a
 * slower 1 GiB upload; README "Where the CPU goes", Memory). Static routes (`addRoutes`) would
 * not help: Chromium 156 applies them to a page's requests but not to its dedicated workers'.
 */
export const SERVICE_WORKER_SCOPE = '/d/';

/** The page's service worker, registered and active; null where the realm has none or registration is refused. */
export async function serviceWorker(): Promise<ServiceWorker | null> {
  if (!features().serviceWorker) return null;
  try {
    // Not `navigator.serviceWorker.ready`: it waits for a registration of this page's scope, which a set or inbox page is not in.
    const registration = await navigator.serviceWorker.register('/sw.js', { scope: SERVICE_WORKER_SCOPE });
    return registration.active ?? (await activated(registration));
  } catch {
    return null;
  }
}

/** The registration's installing or waiting worker once it is active; null if it became redundant (a failed install). */
function activated(registration: ServiceWorkerRegistration): Promise<ServiceWorker | null> {
  const worker = registration.installing ?? registration.waiting;
  if (!worker) return Promise.resolve(registration.active);
  return new Promise((resolve) => {
    const onChange = () => {
      if (worker.state !== 'activated' && worker.state !== 'redundant') return;
      worker.removeEventListener('statechange', onChange);
      resolve(worker.state === 'activated' ? worker : null);
    };
    worker.addEventListener('statechange', onChange);
    onChange();
  });
}

/**
 * Unregisters this origin's service-worker registrations of any other scope: versions before
 * SERVICE_WORKER_SCOPE registered the worker at `/`, which controlled every page (the upload
 * page among them) from its next load on. Run as any page opens; a page already controlled stays
 * so until it is reloaded.
 */
export async function retireOtherServiceWorkers(): Promise<void> {
  if (!features().serviceWorker) return;
  const scope = new URL(SERVICE_WORKER_SCOPE, location.href).href;
  const registrations = await navigator.serviceWorker.getRegistrations().catch(() => []);
  await Promise.all(registrations.filter((r) => r.scope !== scope).map((r) => r.unregister().catch(() => false)));
}

export class ServiceWorkerSink implements Sink {
  private credits = 0;
  private wake: (() => void) | undefined;
  /** Resolves on the service worker's first pull: the browser has accepted the download response. */
  private started!: () => void;
  private readonly startedPromise = new Promise<void>((resolve) => {
    this.started = resolve;
  });
  private cancelled = false;
  private readonly keepalive: ReturnType<typeof setInterval>;
  private readonly frame: HTMLIFrameElement;

  private constructor(
    private readonly port: MessagePort,
    worker: ServiceWorker,
    token: string,
    private readonly onCancel: () => void,
  ) {
    port.onmessage = ({ data }) => {
      if (data.type === 'pull') {
        this.credits++;
        this.started();
        // The chunk the browser has written, detached everywhere else: the next range's plaintext goes into it.
        if (data.spent instanceof ArrayBuffer) spentPlaintext.give(new Uint8Array(data.spent));
      }
      if (data.type === 'cancel') {
        this.cancelled = true;
        this.onCancel();
      }
      this.wake?.();
    };
    this.keepalive = setInterval(() => worker.postMessage({ type: 'keepalive' }), KEEPALIVE_MS);
    // Leaving or reloading the page mid-download fails the browser download: nothing half-written
    // is ever left looking complete (otherwise the stream would wait for bytes forever).
    addEventListener('pagehide', this.onPageHide);
    // Navigating a hidden frame to the worker's URL starts the download without leaving the page.
    this.frame = document.createElement('iframe');
    this.frame.hidden = true;
    this.frame.src = `${SERVICE_WORKER_SCOPE}_download/${token}`;
    document.body.append(this.frame);
  }

  /**
   * Starts the browser download and resolves once the service worker is serving it. Only then is
   * anything fetched or decrypted, so a later failure always errors a download that has started
   * (the browser shows it failed) rather than racing the download's start.
   */
  static async open(worker: ServiceWorker, name: string, size: number, onCancel: () => void): Promise<ServiceWorkerSink> {
    const channel = new MessageChannel();
    const token = toBase64Url(randomBytes(16));
    await registerRelay(worker, { type: 'download', token, name, size }, channel.port1, channel.port2);
    const sink = new ServiceWorkerSink(channel.port1, worker, token, onCancel);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LinkError('NoStreamingSave', 'The browser did not start the download')), START_TIMEOUT_MS);
    });
    try {
      await Promise.race([sink.startedPromise, timeout]);
    } catch (error) {
      await sink.abort(error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return sink;
  }

  async write(chunk: Uint8Array<ArrayBuffer>): Promise<void> {
    while (this.credits === 0 && !this.cancelled) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.cancelled) throw new TransferError('Aborted', 'The download was cancelled');
    this.credits--;
    const buffer = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk.buffer : chunk.slice().buffer;
    this.port.postMessage({ type: 'chunk', chunk: buffer }, [buffer]);
  }

  async close(): Promise<void> {
    this.port.postMessage({ type: 'end' });
    this.finish();
  }

  async abort(reason: unknown): Promise<void> {
    // Erroring the stream makes the browser mark the download failed; nothing is left looking complete.
    this.port.postMessage({ type: 'error', message: reason instanceof Error ? reason.message : 'failed' });
    this.finish();
  }

  private readonly onPageHide = () => {
    void this.abort(new TransferError('Aborted', 'The page was closed during the download'));
  };

  private finish(): void {
    removeEventListener('pagehide', this.onPageHide);
    clearInterval(this.keepalive);
    // The frame must outlive the stream's last bytes; a minute is plenty for the browser to finish.
    setTimeout(() => this.frame.remove(), 60_000);
  }
}

/** Small files only: collects in memory, then saves through an object URL. */
export class BlobSink implements Sink {
  private readonly chunks: Uint8Array<ArrayBuffer>[] = [];
  constructor(private readonly name: string) {}
  static open(name: string, size: number): BlobSink {
    if (size > MAX_BLOB_DOWNLOAD) throw new LinkError('NoStreamingSave', 'This browser cannot stream large downloads to disk (service workers are off)');
    return new BlobSink(name);
  }
  async write(chunk: Uint8Array<ArrayBuffer>): Promise<void> {
    this.chunks.push(chunk);
  }
  async close(): Promise<void> {
    // Always octet-stream: the decrypted content is never rendered by the browser from here.
    const url = URL.createObjectURL(new Blob(this.chunks, { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = this.name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    this.chunks.length = 0;
  }
  async abort(): Promise<void> {
    this.chunks.length = 0;
  }
}

/** The File System Access API's save picker (Chromium): not yet in TypeScript's DOM types. */
interface SaveFileHandle {
  createWritable(): Promise<{ write(data: Uint8Array<ArrayBuffer>): Promise<void>; close(): Promise<void>; abort(reason?: unknown): Promise<void> }>;
  /** Chromium-only: deletes the picked file. */
  remove?(): Promise<void>;
}
type SaveFilePicker = (options: { suggestedName: string }) => Promise<SaveFileHandle>;

function saveFilePicker(): SaveFilePicker | null {
  // Under automation nobody can answer the picker's dialog; the service-worker path is used there.
  if (downloadPath() !== 'save-picker') return null;
  const picker = (globalThis as unknown as { showSaveFilePicker: SaveFilePicker }).showSaveFilePicker;
  return picker.bind(globalThis);
}

/**
 * Writes verified plaintext straight into a file the person picked. The browser writes to a
 * temporary file and swaps it in on `close()`; `abort()` discards it and removes the picked file,
 * so a failed download never leaves a file that looks complete.
 */
export class FileSystemSink implements Sink {
  /** The File System spec's write takes a copy of a BufferSource's bytes: the chunk is free once written. */
  readonly releasesChunks = true;
  private constructor(
    private readonly handle: SaveFileHandle,
    private readonly writable: Awaited<ReturnType<SaveFileHandle['createWritable']>>,
  ) {}

  /** Must be called straight from a click (the picker needs the user's gesture). Null if unavailable. */
  static async pick(name: string): Promise<FileSystemSink | null> {
    const picker = saveFilePicker();
    if (!picker) return null;
    const handle = await picker({ suggestedName: name });
    return new FileSystemSink(handle, await handle.createWritable());
  }

  async write(chunk: Uint8Array<ArrayBuffer>): Promise<void> {
    await this.writable.write(chunk);
  }
  async close(): Promise<void> {
    await this.writable.close();
  }
  async abort(reason: unknown): Promise<void> {
    await this.writable.abort(reason).catch(() => undefined);
    await this.handle.remove?.().catch(() => undefined);
  }
}
