/**
 * An unfinished set kept across a reload (docs/SETS.md, "Resuming"): its plan — which file lies in
 * which blob, the manifest entries it will need, the empty folders — the set's id, ticket and
 * owner token, its link secret and wrapping key, and the result of every blob already complete.
 * Blobs under way keep their own upload records in the ResumeStore, as any file does, found again
 * by their source name (`blob-<n>`, unique in a set). It holds no more than a file's record does:
 * paths, sizes, types and times as picked (a file's record keeps its path and source the same
 * way), and keys only in this origin's IndexedDB, as a CryptoKey that cannot be exported; it is
 * deleted when the set is complete or cancelled.
 *
 * After a reload the person picks the folder (or files) again; `matchMembers` finds every member
 * by its relative path and holds it to the size and modified time it had: a file that is missing
 * or differs is refused (SetResumeError), since the plan — offsets in packed blobs, parts sealed
 * under used IVs — holds only for the very same files.
 */
import { aesKeyring } from '../crypto/keyring.ts';
import { decodeLinkSecret, encodeLinkSecret } from '../crypto/objects.ts';
import { blobContext } from '../crypto/set-manifest.ts';
import { SetResumeError } from '../errors.ts';
import type { SetTarget } from '../upload/upload-mode.ts';
import type { SetMember, StartedSet } from './upload-set.ts';

/** A member as planned: what the manifest entry needs, and how the file is known again. */
export interface SavedMember {
  path: string;
  size: number;
  type: string;
  /** the file's lastModified as picked (ms) */
  modified: number;
}

/** What the manifest names a complete blob by. */
export interface BlobResult {
  id: string;
  messageId: string;
}

/** A blob of the plan: its members (indexes into `members`, in order) and, once complete, its result. */
export interface SavedBlob {
  /** the source name its upload record carries (`blob-<n>`) */
  name: string;
  members: number[];
  /** set once the blob's upload is complete: what the manifest names it by */
  result?: BlobResult;
}

export interface SavedSet {
  /** the set's id on the server: the store's key */
  id: string;
  label: string;
  /** picked as a folder (asks for a folder again) or as files */
  folder: boolean;
  savedAt: number;
  ownerToken: string;
  ticket: string;
  /** ms since epoch: the set cannot be completed after it */
  resumableUntil: number;
  expiresAt: number | null;
  /** base64url link secret (SSE-C keys and the link derive from it) */
  secret: string;
  /** the keyring's wrapping key (non-extractable; with a password, the one derived from it) and key name */
  wrappingKey: CryptoKey;
  keyName: string;
  password: boolean;
  members: SavedMember[];
  dirs: string[];
  blobs: SavedBlob[];
}

/** Whether a saved set can still be completed (its ticket, its expiry). */
export const resumable = (saved: SavedSet, now = Date.now()): boolean => saved.resumableUntil > now && (saved.expiresAt === null || saved.expiresAt > now);

/** The blob uploads' target again, from what was saved. */
export function targetOf(saved: SavedSet): SetTarget {
  const secret = decodeLinkSecret(saved.secret);
  if (!secret) throw new SetResumeError('SetDamaged', 'The saved set has a damaged key', []);
  return {
    id: saved.id,
    ticket: saved.ticket,
    secret,
    keyring: aesKeyring(saved.wrappingKey, saved.keyName),
    password: saved.password,
    context: (blobId) => blobContext(saved.id, blobId),
  };
}

/** A picked file with its relative path (ui/pick.ts's Picked). */
export interface PickedFile {
  file: File;
  path: string;
}

/**
 * The picked files in the order of the saved members, each the very file planned: same relative
 * path, size and modified time. Files picked beside them (added to the folder since) are not part
 * of the set and are left out. Missing or changed members are refused, all named at once.
 */
export function matchMembers(members: readonly SavedMember[], picked: readonly PickedFile[]): File[] {
  const byPath = new Map(picked.map((p) => [p.path, p.file]));
  const missing: string[] = [];
  const changed: string[] = [];
  const files = members.map((m) => {
    const file = byPath.get(m.path);
    if (!file) missing.push(m.path);
    else if (file.size !== m.size || file.lastModified !== m.modified) changed.push(m.path);
    return file as File;
  });
  if (changed.length) throw new SetResumeError('SetFileChanged', `${changed.length} file(s) changed since the set's upload was interrupted`, changed);
  if (missing.length) throw new SetResumeError('SetFileMissing', `${missing.length} file(s) of the set are missing`, missing);
  return files;
}

/** A blob's bytes again, from its matched members (a Blob of Blobs copies nothing). */
export function blobOf(blob: SavedBlob, files: readonly File[]): Blob {
  return blob.members.length === 1 ? files[blob.members[0]] : new Blob(blob.members.map((i) => files[i]));
}

/** The set as it was started, again (its target from the saved keys). */
export function startedOf(saved: SavedSet): StartedSet {
  const { id, ownerToken, expiresAt, resumableUntil, wrappingKey, keyName } = saved;
  return { id, ownerToken, expiresAt, resumableUntil, wrappingKey, keyName, target: targetOf(saved) };
}

/** What is saved of a set under way: its blobs in plan order, the members as the manifest will list them. */
export function savedOf(
  set: { label: string; folder: boolean; dirs: string[]; blobs: { name: string; members: SetMember[]; result?: BlobResult }[] },
  started: StartedSet,
): SavedSet {
  const members: SavedMember[] = [];
  const blobs = set.blobs.map((b) => {
    const first = members.length;
    for (const m of b.members) members.push({ path: m.path, size: m.blob.size, type: m.type, modified: m.modified });
    return { name: b.name, members: b.members.map((_, i) => first + i), ...(b.result ? { result: b.result } : {}) };
  });
  return {
    id: started.id,
    label: set.label,
    folder: set.folder,
    savedAt: Date.now(),
    ownerToken: started.ownerToken,
    ticket: started.target.ticket,
    resumableUntil: started.resumableUntil,
    expiresAt: started.expiresAt,
    secret: encodeLinkSecret(started.target.secret),
    wrappingKey: started.wrappingKey,
    keyName: started.keyName,
    password: started.target.password,
    members,
    dirs: set.dirs,
    blobs,
  };
}
