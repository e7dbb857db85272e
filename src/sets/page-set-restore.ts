/**
 * The page's sets after a reload (page-sets.ts, set-resume.ts): which saved sets come back as
 * unfinished rows (those that can no longer be completed are deleted on the server and
 * forgotten, and so are saved blob uploads of no set kept), and, once their files are picked
 * again, each blob going on — one under way from its saved record, one never started as new —
 * under the same set.
 */
import type { Api } from '../transfer/api.ts';
import { discardUpload } from '../upload/queue-saved.ts';
import type { ResumeStore, SetResumeStore } from '../upload/resume-store.ts';
import { bytesDone } from '../upload/uploader.ts';
import type { PageBlob, PageSet, SetQueue } from './page-set-types.ts';
import { blobOf, resumable, type SavedSet } from './set-resume.ts';
import type { SetMember, StartedSet } from './upload-set.ts';

/** The saved sets that can still be completed, as unfinished sets; `live`: ids of this visit's sets, left alone. */
export async function restoreSets(store: ResumeStore & SetResumeStore, api: Api, live: Set<string>, nextKey: () => number): Promise<PageSet[]> {
  const records = (await store.list()).map((s) => s.record).filter((r) => r.setId);
  const restored: PageSet[] = [];
  for (const saved of await store.listSets()) {
    if (live.has(saved.id)) continue;
    if (!resumable(saved)) {
      await api.deleteSet(saved.id, saved.ownerToken).catch(() => undefined);
      await store.removeSet(saved.id).catch(() => undefined);
      continue;
    }
    const mine = records.filter((r) => r.setId === saved.id);
    const blobs: PageBlob[] = saved.blobs.map((b) => ({
      key: 0,
      name: b.name,
      members: [],
      result: b.result,
      // Found by its source name (unique in a set); the latest, should an older one have stayed.
      record: b.result ? undefined : mine.findLast((r) => r.source.name === b.name),
    }));
    const sizes = saved.blobs.map((b) => b.members.reduce((n, i) => n + saved.members[i].size, 0));
    restored.push({
      key: nextKey(),
      label: saved.label,
      folder: saved.folder,
      files: saved.members.length,
      bytes: sizes.reduce((n, size) => n + size, 0),
      phase: 'unfinished',
      password: saved.password,
      blobKeys: [],
      doneBefore: blobs.reduce((n, b, i) => n + (b.result ? sizes[i] : b.record ? bytesDone(b.record) : 0), 0),
      members: [],
      dirs: saved.dirs,
      blobs,
      // Started only once its files are picked again (resumeWith).
      started: new Promise<StartedSet>(() => undefined),
      saved,
      serverId: saved.id,
      saving: Promise.resolve(),
    });
  }
  // Blob uploads of a set not kept and not of this visit, or in no blob of its plan: given up.
  const used = new Set(restored.flatMap((s) => s.blobs.map((b) => b.record?.id)));
  for (const record of records) {
    if (used.has(record.id) || live.has(record.setId as string)) continue;
    await discardUpload(api, store, record);
  }
  return restored;
}

/** The set's members and blobs again from its matched files (in the saved members' order), each blob not complete back in the queue. */
export async function reattach(queue: Pick<SetQueue, 'add' | 'resumeBlob'>, set: PageSet, saved: SavedSet, files: File[], started: StartedSet): Promise<void> {
  set.members = saved.members.map((m, i): SetMember => ({ blob: files[i], path: m.path, type: m.type, modified: m.modified }));
  const options = { set: started.target };
  for (const [i, b] of set.blobs.entries()) {
    b.members = saved.blobs[i].members.map((m) => set.members[m]);
    if (b.result) continue;
    // As addTo made it: the same bytes, name and time, so its fingerprint is the saved one.
    const file = new File([blobOf(saved.blobs[i], files)], b.name, { type: 'application/octet-stream', lastModified: 0 });
    const path = `${set.label} · ${b.name}`;
    const record = b.record;
    b.record = undefined;
    b.key = record ? await queue.resumeBlob(record, file, path, options) : (await queue.add([{ file, path }], options))[0];
  }
  set.blobKeys = set.blobs.filter((b) => b.key).map((b) => b.key);
  set.doneBefore = set.blobs.reduce((n, b) => n + (b.result ? b.members.reduce((m, x) => m + x.blob.size, 0) : 0), 0);
}
