/**
 * Files from a drop or a picker, with their folder-relative paths. A dropped folder is walked
 * through the File and Directory Entries API (every browser has it for drops); the folder picker
 * (`webkitdirectory`) gives `webkitRelativePath` itself.
 */

export interface Picked {
  file: File;
  path: string;
}

export function fromInput(files: FileList | null): Picked[] {
  return Array.from(files ?? [], (file) => ({ file, path: file.webkitRelativePath || file.name }));
}

export async function fromDrop(data: DataTransfer): Promise<Picked[]> {
  // Entries must be taken synchronously, before the first await: the DataTransfer empties after.
  const entries = Array.from(data.items, (item) => item.webkitGetAsEntry?.() ?? null);
  if (entries.every((e) => e === null)) return fromInput(data.files);
  const picked: Picked[] = [];
  for (const entry of entries) if (entry) await walk(entry, picked);
  return picked;
}

async function walk(entry: FileSystemEntry, into: Picked[]): Promise<void> {
  if (isFile(entry)) {
    const file = await new Promise<File>((resolve, reject) => entry.file(resolve, reject));
    into.push({ file, path: entry.fullPath.replace(/^\//, '') });
    return;
  }
  if (!isDirectory(entry)) return;
  const reader = entry.createReader();
  // readEntries answers in batches (100 in Chromium) until it answers an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return;
    for (const child of batch) await walk(child, into);
  }
}

const isFile = (e: FileSystemEntry): e is FileSystemFileEntry => e.isFile;
const isDirectory = (e: FileSystemEntry): e is FileSystemDirectoryEntry => e.isDirectory;
