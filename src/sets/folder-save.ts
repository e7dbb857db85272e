/**
 * "Download into a folder" where the browser has `showDirectoryPicker` (Chromium): the set's tree
 * recreated under the folder the person picks. Every path goes through treeNamer (src/names.ts),
 * so nothing lands outside it and hostile names are neutralised; each file is written as
 * `<name>.cipherdrop-partial` and renamed only once all its frames verified — a member that fails
 * leaves no file under its real name, and stops the download naming it.
 */
import { pumpToSink, streamChunks } from '../download/pump.ts';
import type { ZipMember } from '../download/zip.ts';
import { ZipMemberError } from '../errors.ts';
import { treeNamer } from '../names.ts';
import { features } from '../platform/features.ts';

const PARTIAL = '.cipherdrop-partial';

interface DirectoryPickerWindow {
  showDirectoryPicker: (options?: { mode?: 'readwrite'; id?: string }) => Promise<FileSystemDirectoryHandle>;
}

/** The folder picker where this browser has one (features.ts; null elsewhere); it needs the person's click. */
export function folderPicker(): (() => Promise<FileSystemDirectoryHandle>) | null {
  if (!features().directoryPicker) return null;
  const picker = (globalThis as unknown as DirectoryPickerWindow).showDirectoryPicker;
  return () => picker.call(globalThis, { mode: 'readwrite', id: 'cipherdrop-set' });
}

interface MovableHandle extends FileSystemFileHandle {
  move?: (name: string) => Promise<void>;
}

async function folderAt(root: FileSystemDirectoryHandle, segments: readonly string[]): Promise<FileSystemDirectoryHandle> {
  let dir = root;
  for (const name of segments) dir = await dir.getDirectoryHandle(name, { create: true });
  return dir;
}

/** Writes `members` under `root`; `onBytes` counts what is written. */
export async function saveToFolder(root: FileSystemDirectoryHandle, members: readonly ZipMember[], onBytes?: (n: number) => void): Promise<void> {
  const namer = treeNamer();
  for (const member of members) {
    const segments = namer.name(member.path, member.dir === true);
    if (member.dir) {
      await folderAt(root, segments);
      continue;
    }
    const dir = await folderAt(root, segments.slice(0, -1));
    const name = segments[segments.length - 1];
    const partial = (await dir.getFileHandle(`${name}${PARTIAL}`, { create: true })) as MovableHandle;
    const writable = await partial.createWritable();
    try {
      await pumpToSink(
        streamChunks(() => member.open()),
        writable,
        { onWritten: onBytes, expectedBytes: member.size },
      );
    } catch (error) {
      await dir.removeEntry(`${name}${PARTIAL}`).catch(() => undefined);
      throw new ZipMemberError(segments.join('/'), error);
    }
    // Verified: now it gets its name (a browser without move() keeps the partial name, and says so).
    if (partial.move) await partial.move(name);
  }
}
