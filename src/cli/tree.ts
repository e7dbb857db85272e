/**
 * What `cipherdrop upload` turns into one set (docs/SETS.md): files and folders from the command
 * line, walked. A folder's members keep the folder's own name as their first segment, as a browser's
 * folder pick does (webkitRelativePath), so `upload photos` shares `photos/2026/a.jpg`; a folder with
 * nothing in it becomes an empty-folder entry. Symbolic links inside a folder are not followed (a
 * link to `/` or to a folder's own parent would share what the user did not pick) and special
 * files (sockets, FIFOs, devices) are not read: both are skipped and listed, so the caller can say so.
 * Paths named on the command line are taken as given, links included: the user chose them.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { utf8 } from '../crypto/bytes.ts';
import { MAX_ENTRY_PATH_BYTES, MAX_SET_ENTRIES } from '../crypto/set-manifest.ts';
import { fileSource } from '../node/files.ts';
import type { SetMember } from '../sets/upload-set.ts';
import { UsageError } from './exit-codes.ts';

export interface Skipped {
  /** the path on disk */
  path: string;
  reason: 'symbolic link' | 'not a regular file or folder';
}

export interface CollectedTree {
  members: SetMember[];
  /** empty folders, as set paths without the trailing "/" */
  dirs: string[];
  skipped: Skipped[];
}

/** `name`, else `name (2)`, `name (3)`… among `taken` (top-level names: two `photos` folders must not merge). */
function uniqueTop(name: string, taken: Set<string>): string {
  const ext = path.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? name : `${stem} (${n})${ext}`;
    if (!taken.has(candidate)) {
      taken.add(candidate);
      return candidate;
    }
  }
}

async function member(file: string, setPath: string): Promise<SetMember> {
  const source = await fileSource(file);
  return { blob: source.blob, path: setPath, type: source.type, modified: source.lastModified };
}

/** Walks `folder` (whose set path is `prefix`) into `tree`; whether it put anything there. */
async function walk(folder: string, prefix: string, tree: CollectedTree): Promise<boolean> {
  const entries = await readdir(folder, { withFileTypes: true });
  // The directory's order is the file system's; a sorted one makes the same folder the same set.
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let found = false;
  for (const entry of entries) {
    const onDisk = path.join(folder, entry.name);
    const setPath = `${prefix}/${entry.name}`;
    if (entry.isSymbolicLink()) tree.skipped.push({ path: onDisk, reason: 'symbolic link' });
    else if (entry.isDirectory()) {
      if (!(await walk(onDisk, setPath, tree))) tree.dirs.push(setPath);
      found = true;
    } else if (entry.isFile()) {
      tree.members.push(await member(onDisk, setPath));
      found = true;
    } else tree.skipped.push({ path: onDisk, reason: 'not a regular file or folder' });
  }
  return found;
}

/** Every file and empty folder under `inputs` (files and folders), as one set's members. */
export async function collectTree(inputs: readonly string[]): Promise<CollectedTree> {
  const tree: CollectedTree = { members: [], dirs: [], skipped: [] };
  const taken = new Set<string>();
  for (const input of inputs) {
    const info = await stat(input).catch(() => {
      throw new UsageError(`${input}: no such file or folder`);
    });
    // "/" or "C:\" has no name of its own: its contents go at the top.
    const name = path.basename(path.resolve(input));
    if (info.isDirectory()) {
      const top = name ? uniqueTop(name, taken) : '';
      if (!(await walk(input, top, tree)) && top) tree.dirs.push(top);
    } else if (info.isFile()) tree.members.push(await member(input, uniqueTop(name, taken)));
    else throw new UsageError(`${input} is not a regular file or folder`);
  }
  for (const m of tree.members) m.path = m.path.replace(/^\//, '');
  tree.dirs = tree.dirs.map((d) => d.replace(/^\//, ''));
  checkLimits(tree);
  return tree;
}

/** What the manifest would refuse once every byte is uploaded, refused before the first. */
function checkLimits(tree: CollectedTree): void {
  if (tree.members.length === 0) throw new UsageError('there is no file to share (a set holds at least one file)');
  const count = tree.members.length + tree.dirs.length;
  if (count > MAX_SET_ENTRIES) throw new UsageError(`a set holds at most ${MAX_SET_ENTRIES} files and empty folders (this is ${count})`);
  const long = [...tree.members.map((m) => m.path), ...tree.dirs.map((d) => `${d}/`)].find((p) => utf8(p).byteLength > MAX_ENTRY_PATH_BYTES);
  if (long !== undefined) throw new UsageError(`a path in a set is at most ${MAX_ENTRY_PATH_BYTES} bytes: ${long.slice(0, 80)}…`);
}
