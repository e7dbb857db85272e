/**
 * Files from a drop or a picker, with their folder-relative paths. A dropped folder is walked
 * through the File and Directory Entries API (every browser has it for drops); the folder picker
 * (`webkitdirectory`) gives `webkitRelativePath` itself, but no empty folder; where the browser
 * has `showDirectoryPicker` (Chromium) the chosen folder is walked through its handle instead, so
 * empty folders are part of the set as they are for drops and the CLI.
 */
import { features } from '../platform/features.ts';

export interface Picked {
  file: File;
  path: string;
}

export function fromInput(files: FileList | null): Picked[] {
  return Array.from(files ?? [], (file) => ({ file, path: file.webkitRelativePath || file.name }));
}

/** Dropped files and folders: every file with its path, and every empty folder in a dropped folder. */
export async function fromDrop(data: DataTransfer): Promise<PickedTree> {
  // Entries must be taken synchronously, before the first await: the DataTransfer empties after.
  const entries = Array.from(data.items, (item) => item.webkitGetAsEntry?.() ?? null);
  if (entries.every((e) => e === null)) return { files: fromInput(data.files), dirs: [] };
  const tree: PickedTree = { files: [], dirs: [] };
  for (const entry of entries) if (entry) await walk(entry, tree);
  return tree;
}

async function walk(entry: FileSystemEntry, into: PickedTree): Promise<void> {
  if (isFile(entry)) {
    const file = await new Promise<File>((resolve, reject) => entry.file(resolve, reject));
    into.files.push({ file, path: entry.fullPath.replace(/^\//, '') });
    return;
  }
  if (!isDirectory(entry)) return;
  const reader = entry.createReader();
  // readEntries answers in batches (100 in Chromium) until it answers an empty one.
  for (let empty = true; ; empty = false) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) {
      if (empty) into.dirs.push(entry.fullPath.replace(/^\//, ''));
      return;
    }
    for (const child of batch) await walk(child, into);
  }
}

const isFile = (e: FileSystemEntry): e is FileSystemFileEntry => e.isFile;
const isDirectory = (e: FileSystemEntry): e is FileSystemDirectoryEntry => e.isDirectory;

/** A picked folder: its files, and its empty folders (paths without a trailing `/`), all under the folder's name. */
export interface PickedTree {
  files: Picked[];
  dirs: string[];
}

/** What the walk needs of a FileSystemHandle (the DOM's, or a test's). */
export type HandleLike = DirectoryLike | { kind: 'file'; name: string; getFile(): Promise<File> };
export interface DirectoryLike {
  kind: 'directory';
  name: string;
  values(): AsyncIterable<HandleLike>;
}

/** Walks a folder handle: every file with its path under the folder's name, and every empty folder. */
export async function fromDirectoryHandle(root: DirectoryLike): Promise<PickedTree> {
  const tree: PickedTree = { files: [], dirs: [] };
  await walkHandle(root, root.name, tree);
  return tree;
}

async function walkHandle(dir: DirectoryLike, prefix: string, tree: PickedTree): Promise<boolean> {
  const children: HandleLike[] = [];
  for await (const child of dir.values()) children.push(child);
  // The handle's order is the file system's; a sorted one makes the same folder the same set.
  children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const child of children) {
    const path = `${prefix}/${child.name}`;
    if (child.kind === 'file') tree.files.push({ file: await child.getFile(), path });
    else if (!(await walkHandle(child, path, tree))) tree.dirs.push(path);
  }
  return children.length > 0;
}

type DirectoryPicker = (options?: { mode?: 'read'; id?: string }) => Promise<DirectoryLike>;

/** `showDirectoryPicker` where the browser has it (Chromium), else null: the `webkitdirectory` input is the fallback. */
export function directoryPicker(): DirectoryPicker | null {
  return features().directoryPicker ? (globalThis as unknown as { showDirectoryPicker: DirectoryPicker }).showDirectoryPicker : null;
}

/**
 * A folder through `showDirectoryPicker`; null when the person closed the picker. Other failures
 * (a folder the browser refuses, such as a system folder) are thrown.
 */
export async function pickDirectory(picker: DirectoryPicker): Promise<PickedTree | null> {
  try {
    return await fromDirectoryHandle(await picker.call(globalThis, { mode: 'read', id: 'cipherdrop-upload' }));
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') return null;
    throw error;
  }
}
