/** A set's manifest as a tree for the recipient's page: folders with their files, sizes and counts. */
import type { SetManifest } from '../crypto/set-manifest.ts';

export interface TreeFolder {
  name: string;
  /** the folder's path, for keys */
  path: string;
  folders: TreeFolder[];
  /** file entries: their index in the manifest */
  files: number[];
  /** bytes and files below it, all levels */
  bytes: number;
  count: number;
}

/** Folders first, then files, each in manifest order; empty folders (dir entries) included. */
export function setTree(manifest: SetManifest): TreeFolder {
  const root: TreeFolder = { name: '', path: '', folders: [], files: [], bytes: 0, count: 0 };
  const folderAt = (segments: string[]): TreeFolder[] => {
    const chain = [root];
    let at = root;
    segments.forEach((name, i) => {
      let next = at.folders.find((f) => f.name === name);
      if (!next) {
        next = { name, path: segments.slice(0, i + 1).join('/'), folders: [], files: [], bytes: 0, count: 0 };
        at.folders.push(next);
      }
      at = next;
      chain.push(at);
    });
    return chain;
  };
  for (const [index, entry] of manifest.entries.entries()) {
    const segments = entry.path.split('/').filter((s) => s !== '');
    if (entry.dir) {
      folderAt(segments);
      continue;
    }
    const chain = folderAt(segments.slice(0, -1));
    chain[chain.length - 1].files.push(index);
    for (const folder of chain) {
      folder.bytes += entry.size;
      folder.count++;
    }
  }
  return root;
}
