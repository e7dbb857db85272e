/**
 * Sets from the terminal (docs/SETS.md): `upload DIR` (or `upload FILE... --one-link`) prints one
 * `/s/<id>#<secret>` link for everything; `download SETLINK` recreates the tree in a folder
 * (`-o DIR`, else a new `cipherdrop-<id>` folder here) or writes one ZIP (`--zip FILE`); `list LINK`
 * prints a set's tree, or a file link's one file. The same modules as the page: src/sets/*.
 */
import { MAX_SET_BLOBS } from '../contract/limits.ts';
import { fetchLink, parseLink, unlockLink } from '../download/downloader.ts';
import { displayName } from '../names.ts';
import { fetchSet, type OpenedSet, parseSetLink, unlockSet } from '../sets/open-set.ts';
import { planSet, uploadSet } from '../sets/upload-set.ts';
import { type Api, createApi } from '../transfer/api.ts';
import { directRunner } from '../transfer/parts.ts';
import { checkTarget } from './args.ts';
import { UsageError } from './exit-codes.ts';
import { progressBar } from './progress.ts';
import { readPassword } from './prompt.ts';
import { saveAsZip, saveToFolder } from './set-save.ts';
import { collectTree } from './tree.ts';

export const SET_HELP: Record<string, string> = {
  list: `Usage: cipherdrop list LINK

Prints what a link shares: for a set (/s/…), every file with its size and every
empty folder, then the total; for a file link (/d/…), its one file. Names are
decrypted here and shown safely (control and bidi characters as U+FFFD). The
password, if the link has one, as for download.`,
};

/** A link of a set (`/s/…`) rather than of one file (`/d/…`). */
export const isSetLink = (url: URL): boolean => url.pathname.startsWith('/s/');

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export interface SetUploadOptions {
  api: Api;
  server: string;
  password?: string;
  expiresInSeconds?: number;
  signal: AbortSignal;
}

/** Files and folders as one set: prints its link on stdout. */
export async function uploadAsSet(inputs: readonly string[], options: SetUploadOptions): Promise<void> {
  const tree = await collectTree(inputs);
  for (const s of tree.skipped) console.error(`Skipped ${displayName(s.path)}: ${s.reason} (not followed)`);
  const blobs = planSet(tree.members).plan.blobs.length;
  if (blobs > MAX_SET_BLOBS) throw new UsageError(`a set holds at most ${MAX_SET_BLOBS} files of 1 MiB or more (this has ${blobs})`);
  const bytes = tree.members.reduce((n, m) => n + m.blob.size, 0);
  const label = `${plural(tree.members.length, 'file')}${tree.dirs.length ? `, ${plural(tree.dirs.length, 'empty folder')}` : ''}`;
  const bar = progressBar(label);
  const { api, password, expiresInSeconds, signal } = options;
  const result = await uploadSet(tree.members, tree.dirs, { api, runner: directRunner, password, expiresInSeconds, signal, onProgress: bar.update });
  bar.finish();
  console.error(`Shared ${label} (${bytes} bytes) as one link:`);
  console.log(`${options.server}${result.linkPath}`);
}

async function openSet(url: URL, signal: AbortSignal): Promise<{ api: Api; set: OpenedSet }> {
  const { id, secret } = parseSetLink(url.pathname, url.hash);
  const api = createApi({ base: url.origin });
  const objects = await fetchSet(api, id, secret, signal);
  const password = objects.passwordParams ? await readPassword(false) : undefined;
  return { api, set: await unlockSet(objects, secret, password) };
}

export interface SetDownloadOptions {
  output?: string;
  zip?: string;
  force: boolean;
}

/** A set link: into a folder (`-o DIR`, default `cipherdrop-<id>`), or one ZIP (`--zip FILE`). */
export async function downloadSet(url: URL, options: SetDownloadOptions, signal: AbortSignal): Promise<void> {
  if (options.output !== undefined && options.zip !== undefined) throw new UsageError('give either -o DIR or --zip FILE, not both');
  if (options.output === '-') throw new UsageError('a set is many files: -o takes a folder (or use --zip FILE, "--zip -" for stdout)');
  const { api, set } = await openSet(url, signal);
  const count = set.manifest.entries.filter((e) => !e.dir).length;
  const bar = progressBar(plural(count, 'file'));
  if (options.zip !== undefined) {
    checkTarget(options.zip, options.force);
    const saved = await saveAsZip(set, options.zip, { api, signal, onProgress: bar.update });
    bar.finish();
    if (options.zip !== '-') console.error(`Saved ${plural(saved.files, 'file')} (${saved.bytes} bytes, verified) as one ZIP: ${options.zip}`);
    return;
  }
  const folder = options.output ?? `cipherdrop-${set.id}`;
  // The default folder is new: a second run would otherwise mix two downloads.
  if (options.output === undefined) checkTarget(folder, options.force);
  const saved = await saveToFolder(set, folder, options.force, { api, signal, onProgress: bar.update });
  bar.finish();
  console.error(`Saved ${plural(saved.files, 'file')} (${saved.bytes} bytes, verified) under ${folder}`);
}

/** `list LINK`: a set's tree, or a file link's file. */
export async function list(url: URL, signal: AbortSignal): Promise<void> {
  if (!isSetLink(url)) {
    const { id, secret } = parseLink(url.pathname, url.hash);
    const api = createApi({ base: url.origin });
    const objects = await fetchLink(api, id, secret, signal);
    const password = objects.passwordParams ? await readPassword(false) : undefined;
    const { meta } = await unlockLink(objects, secret, password);
    console.log(`${String(meta.size).padStart(12)}  ${displayName(meta.name)}`);
    console.log(`1 file, ${meta.size} bytes`);
    return;
  }
  const { set } = await openSet(url, signal);
  let files = 0;
  let folders = 0;
  let bytes = 0;
  for (const entry of set.manifest.entries) {
    if (entry.dir) {
      folders++;
      // displayName keeps a long path's end; a folder's trailing "/" is its own, added after.
      console.log(`${'(folder)'.padStart(12)}  ${displayName(entry.path.replace(/\/$/, ''))}/`);
    } else {
      files++;
      bytes += entry.size;
      console.log(`${String(entry.size).padStart(12)}  ${displayName(entry.path)}`);
    }
  }
  console.log(`${plural(files, 'file')}${folders ? `, ${plural(folders, 'empty folder')}` : ''}, ${bytes} bytes`);
}
