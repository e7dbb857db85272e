/**
 * Uploading a set (docs/SETS.md): one link for many files. `startSet` makes the set's secret and
 * keyring and registers it; `planSet` packs the files into blobs (set-plan.ts), each uploaded by
 * the usual engine as a set blob (upload-mode.ts); `finishSet` seals the manifest naming every
 * blob's message id, PUTs it and completes the set. `uploadSet` runs all of it for the CLI; the
 * page drives the same steps through its queue (set-controller.ts).
 */
import { importWrappingKey } from '../crypto/cipher.ts';
import { aesKeyring } from '../crypto/keyring.ts';
import { encodeLinkSecret, newLinkSecret } from '../crypto/objects.ts';
import { keyNameFor, newPasswordParams, passwordWrappingKeyBytes } from '../crypto/password.ts';
import { blobContext, type ManifestEntry, type SetManifest, sealManifest } from '../crypto/set-manifest.ts';
import { type BlobPlan, planBlobs } from '../crypto/set-plan.ts';
import { TransferError } from '../errors.ts';
import type { Api } from '../transfer/api.ts';
import { expectStatus, request } from '../transfer/http.ts';
import type { PartRunner } from '../transfer/parts.ts';
import { withRetries } from '../transfer/retry.ts';
import type { SetTarget, UploadResult, UploadSource } from '../upload/uploader.ts';
import { uploadFile } from '../upload/uploader.ts';

/** A file of the set: its bytes and where it goes in the tree. */
export interface SetMember {
  blob: Blob;
  /** relative, `/`-separated, as picked */
  path: string;
  type: string;
  modified: number;
}

export interface StartedSet {
  id: string;
  ownerToken: string;
  expiresAt: number | null;
  resumableUntil: number;
  /** the keyring's wrapping key and key name, kept by the page to resume the set after a reload (set-resume.ts) */
  wrappingKey: CryptoKey;
  keyName: string;
  /** what each blob upload is sealed and created with */
  target: SetTarget;
}

export interface SetOptions {
  password?: string;
  expiresInSeconds?: number;
  signal?: AbortSignal;
}

export async function startSet(api: Pick<Api, 'createSet'>, options: SetOptions = {}): Promise<StartedSet> {
  const secret = newLinkSecret();
  const params = options.password === undefined ? null : newPasswordParams();
  // linkKey's keyring, built here so its (non-extractable) wrapping key can be kept for a resume.
  const raw = params && options.password !== undefined ? await passwordWrappingKeyBytes(secret, options.password, params) : secret;
  const wrappingKey = await importWrappingKey(raw);
  if (raw !== secret) raw.fill(0);
  const keyName = keyNameFor(params);
  const keyring = aesKeyring(wrappingKey, keyName);
  const created = await api.createSet({ expiresInSeconds: options.expiresInSeconds }, options.signal);
  return {
    id: created.id,
    ownerToken: created.ownerToken,
    expiresAt: created.expiresAt,
    resumableUntil: created.resumableUntil,
    wrappingKey,
    keyName,
    target: { id: created.id, ticket: created.ticket, secret, keyring, password: params !== null, context: (blobId) => blobContext(created.id, blobId) },
  };
}

/** The blobs to upload, each an UploadSource: a big file alone, small ones packed (a Blob of Blobs copies nothing). */
export function planSet(members: readonly SetMember[], first = 0): { plan: BlobPlan; sources: UploadSource[] } {
  const plan = planBlobs(members.map((m) => ({ size: m.blob.size })));
  const sources = plan.blobs.map((b, i) => ({
    blob: b.files.length === 1 ? members[b.files[0]].blob : new Blob(b.files.map((f) => members[f].blob)),
    name: `blob-${first + i + 1}`,
    type: 'application/octet-stream',
    lastModified: 0,
  }));
  return { plan, sources };
}

/** The manifest: every blob (by its upload id and message id) and every entry (its place in a blob). */
export function buildManifest(
  members: readonly SetMember[],
  dirs: readonly string[],
  plan: BlobPlan,
  results: readonly Pick<UploadResult, 'id' | 'messageId'>[],
): SetManifest {
  if (results.length !== plan.blobs.length) throw new Error('every blob must be uploaded before the manifest is made');
  const entries: ManifestEntry[] = members.map((m, i) => ({
    path: m.path,
    size: m.blob.size,
    type: m.type,
    modified: Math.trunc(m.modified),
    blob: plan.placements[i].blob,
    offset: plan.placements[i].offset,
  }));
  for (const dir of dirs) entries.push({ dir: true, path: dir.endsWith('/') ? dir : `${dir}/` });
  return { blobs: plan.blobs.map((b, i) => ({ id: results[i].id, messageId: results[i].messageId, size: b.size })), entries };
}

/** The plan of blobs already made: each blob's members in order, one after another. */
export function planOf(blobs: readonly (readonly SetMember[])[]): BlobPlan {
  const plan: BlobPlan = { blobs: [], placements: [] };
  let index = 0;
  blobs.forEach((members, blob) => {
    let offset = 0;
    plan.blobs.push({ size: members.reduce((n, m) => n + m.blob.size, 0), files: members.map(() => index++) });
    for (const m of members) {
      plan.placements.push({ blob, offset });
      offset += m.blob.size;
    }
  });
  return plan;
}

/** Seals and PUTs the manifest, completes the set; returns the link's path and fragment. */
export async function finishSet(
  api: Pick<Api, 'setManifestUrl' | 'completeSet'>,
  set: StartedSet,
  manifest: SetManifest,
  signal?: AbortSignal,
): Promise<{ linkPath: string; expiresAt: number | null }> {
  const sealed = await sealManifest(set.target.keyring, set.id, manifest);
  const ticket = set.target.ticket;
  const signed = await api.setManifestUrl(set.id, { ticket, size: sealed.byteLength }, signal);
  await withRetries(
    async () => expectStatus(await request(signed.url, { method: 'PUT', body: sealed, headers: signed.headers, signal }), [200], 'Upload of the set manifest'),
    async () => {
      throw new TransferError('HttpStatus', 'The upload link for the set manifest expired', 403);
    },
    signal,
  );
  const done = await api.completeSet(set.id, { ticket, blobs: manifest.blobs.map((b) => b.id) }, signal);
  return { linkPath: `/s/${set.id}#${encodeLinkSecret(set.target.secret)}`, expiresAt: done.expiresAt };
}

export interface UploadSetOptions extends SetOptions {
  api: Api;
  runner: PartRunner;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

/** The whole set, blob after blob (the CLI and the library); on failure the set is deleted. */
export async function uploadSet(
  members: readonly SetMember[],
  dirs: readonly string[],
  options: UploadSetOptions,
): Promise<{ id: string; linkPath: string; ownerToken: string; expiresAt: number | null }> {
  const { api, runner, signal } = options;
  const set = await startSet(api, options);
  try {
    const { plan, sources } = planSet(members);
    const total = sources.reduce((n, s) => n + s.blob.size, 0);
    let before = 0;
    const results: UploadResult[] = [];
    for (const source of sources) {
      const done = before;
      results.push(await uploadFile(source, { api, runner, signal, set: set.target, onProgress: (n) => options.onProgress?.(done + n, total) }));
      before += source.blob.size;
    }
    const finished = await finishSet(api, set, buildManifest(members, dirs, plan, results), signal);
    return { id: set.id, ownerToken: set.ownerToken, ...finished };
  } catch (error) {
    await api.deleteSet(set.id, set.ownerToken).catch(() => undefined);
    throw error;
  } finally {
    set.target.secret.fill(0);
  }
}
