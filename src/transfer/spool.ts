/**
 * Spools a sealed part to the Origin Private File System and returns it as a file-backed File.
 *
 * Why: Chromium moves an in-memory request body (ArrayBuffer) through several copies and keeps
 * it alive until the Request wrapper is garbage-collected; measured here, that path ran at
 * ~27 MB/s and let renderer memory grow with the file (3.6 GiB after 3 GiB uploaded), while a
 * file-backed body ran at ~230 MB/s with flat memory (README "Benchmark"). Only ciphertext is
 * ever written here, and each part file is removed once its PUT has finished.
 *
 * Needs FileSystemSyncAccessHandle (dedicated workers in Chromium, Firefox 111+, Safari 17+):
 * where the realm has none (platform/features.ts: the 'memory' upload path) nothing is probed and
 * spool() answers null, so the caller sends the part from memory. Where the API is there but
 * refused (a private window, a full or blocked storage), the one probe per worker finds out.
 */
import { uploadBodyPath } from '../platform/features.ts';

const PREFIX = 'cipherdrop-part-';

interface SyncAccessHandle {
  truncate(size: number): void;
  write(buffer: Uint8Array, options: { at: number }): number;
  close(): void;
}
type SyncHandleFile = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncAccessHandle> };

let root: Promise<FileSystemDirectoryHandle | null> | undefined;

function opfs(): Promise<FileSystemDirectoryHandle | null> {
  root ??= (async () => {
    if (uploadBodyPath() !== 'opfs-spool') return null;
    try {
      const dir = await navigator.storage.getDirectory();
      const probe = (await dir.getFileHandle(`${PREFIX}probe`, { create: true })) as SyncHandleFile;
      if (typeof probe.createSyncAccessHandle !== 'function') return null;
      (await probe.createSyncAccessHandle()).close();
      return dir;
    } catch {
      return null;
    }
  })();
  return root;
}

let counter = 0;

export interface Spooled {
  body: Blob;
  release(): Promise<void>;
}

/** The bytes as a file-backed File, or null where the OPFS is unavailable or full (the caller sends them from memory). */
export async function spool(bytes: Uint8Array): Promise<Spooled | null> {
  const dir = await opfs();
  if (!dir) return null;
  const name = `${PREFIX}${crypto.randomUUID()}-${counter++}`;
  const release = () => dir.removeEntry(name).catch(() => undefined);
  try {
    const handle = (await dir.getFileHandle(name, { create: true })) as SyncHandleFile;
    const access = await handle.createSyncAccessHandle();
    try {
      access.truncate(0);
      if (access.write(bytes, { at: 0 }) !== bytes.byteLength) throw new Error('short write to the part spool');
      // No flush(): it makes the disk persist the part (fdatasync), which a file read back at once
      // and removed after its PUT never needs: written bytes are the file's for every reader as
      // soon as write() returns, and a part removed within seconds is mostly never written to the
      // disk at all. Measured (README "Where the CPU goes"): flush() held a worker 0.76 s per GiB;
      // without it write() and close() take part of that back, so the time gained is within noise.
    } finally {
      access.close();
    }
    return { body: await handle.getFile(), release };
  } catch {
    await release();
    return null;
  }
}

/** Part files older than this were left by a crashed page (a live upload finishes a part in seconds). */
const STALE_MS = 60 * 60 * 1000;

/** Removes part files left behind by a crashed page; safe while another tab uploads. */
export async function clearStaleSpool(now = Date.now()): Promise<void> {
  // The page (not a worker) runs this: OPFS without sync handles still holds files a worker spooled.
  if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') return;
  try {
    const dir = await navigator.storage.getDirectory();
    const entries = (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries();
    for await (const [name, handle] of entries) {
      if (!name.startsWith(PREFIX) || handle.kind !== 'file') continue;
      const file = await (handle as FileSystemFileHandle).getFile();
      if (now - file.lastModified > STALE_MS) await dir.removeEntry(name).catch(() => undefined);
    }
  } catch {
    // No OPFS here: nothing was ever spooled.
  }
}
