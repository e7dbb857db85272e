/**
 * What this browser offers the page, detected once per realm (the page, each worker) and cached,
 * and the path each transfer takes because of it (issue 18). The path names are the ones the
 * README's browser table uses. Nothing here touches storage or the network: it looks at what the
 * realm exposes. Where a feature can be present but refused at run time (OPFS in a private window,
 * a service worker registration that fails), the caller still handles the refusal — detection
 * chooses the path, it cannot promise the browser's permission.
 */

export interface Features {
  /** OPFS with `createSyncAccessHandle` (dedicated workers: Chromium, Firefox 111+, Safari 17+) */
  opfsSyncHandles: boolean;
  /** `ReadableStreamBYOBReader` (not WebKitGTK 2.50) */
  byobReader: boolean;
  /** `for await` over a ReadableStream (not WebKitGTK 2.50, Safari before 26) */
  asyncIterableStreams: boolean;
  /** `navigator.serviceWorker` (not private windows in some browsers, not older browsers) */
  serviceWorker: boolean;
  /** `showSaveFilePicker` (Chromium) */
  savePicker: boolean;
  /** `showDirectoryPicker` (Chromium) */
  directoryPicker: boolean;
  /** `<input webkitdirectory>` (every current engine) */
  folderInput: boolean;
  /** a ReadableStream can be transferred to a worker (not WebKitGTK 2.50) */
  transferableStreams: boolean;
}

/** How a sealed part is sent: a file-backed body from the OPFS spool, or from memory. */
export type UploadBodyPath = 'opfs-spool' | 'memory';
/** How a ranged body is read: into one buffer by a BYOB reader, or whole by `arrayBuffer()`. */
export type BodyReadPath = 'byob' | 'array-buffer';
/** Where a download goes: the save picker's file, the service worker's stream, or a Blob in memory. */
export type DownloadPath = 'save-picker' | 'service-worker-stream' | 'blob';

/** Reads the features off `scope` (globalThis by default); tests pass a scope with one taken away. */
export function detectFeatures(scope: typeof globalThis = globalThis): Features {
  const nav = scope.navigator as (Navigator & { storage?: { getDirectory?: unknown } }) | undefined;
  const fileHandle = (scope as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle;
  const input = (scope as { HTMLInputElement?: { prototype: object } }).HTMLInputElement;
  const stream = scope.ReadableStream as { prototype: object } | undefined;
  return {
    opfsSyncHandles: typeof nav?.storage?.getDirectory === 'function' && !!fileHandle && 'createSyncAccessHandle' in fileHandle.prototype,
    byobReader: typeof (scope as { ReadableStreamBYOBReader?: unknown }).ReadableStreamBYOBReader === 'function',
    asyncIterableStreams: !!stream && Symbol.asyncIterator in stream.prototype,
    serviceWorker: !!nav && 'serviceWorker' in nav && !!nav.serviceWorker,
    savePicker: typeof (scope as { showSaveFilePicker?: unknown }).showSaveFilePicker === 'function',
    directoryPicker: typeof (scope as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function',
    folderInput: !!input && 'webkitdirectory' in input.prototype,
    transferableStreams: streamsTransfer(scope),
  };
}

function streamsTransfer(scope: typeof globalThis): boolean {
  if (typeof scope.ReadableStream !== 'function' || typeof scope.structuredClone !== 'function') return false;
  try {
    const stream = new scope.ReadableStream();
    scope.structuredClone(stream, { transfer: [stream as unknown as Transferable] });
    return true;
  } catch {
    return false;
  }
}

let cached: Features | undefined;

/** This realm's features, detected on first use. */
export function features(): Features {
  cached ??= Object.freeze(detectFeatures());
  return cached;
}

export const uploadBodyPath = (f: Features = features()): UploadBodyPath => (f.opfsSyncHandles ? 'opfs-spool' : 'memory');

export const bodyReadPath = (f: Features = features()): BodyReadPath => (f.byobReader ? 'byob' : 'array-buffer');

/**
 * The fastest download path offered. `automated`: under WebDriver nobody can answer the save
 * picker's dialog, so the service-worker stream is used there.
 */
export function downloadPath(f: Features = features(), automated = isAutomated()): DownloadPath {
  if (f.savePicker && !automated) return 'save-picker';
  return f.serviceWorker ? 'service-worker-stream' : 'blob';
}

function isAutomated(): boolean {
  return (globalThis.navigator as Navigator | undefined)?.webdriver === true;
}
