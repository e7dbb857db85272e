/**
 * Sets (docs/SETS.md) on the benchmark's loopback sink: the SetStore the presign server needs,
 * kept in memory, with blobs and the manifest as objects of the sink (so their PUTs and GETs are
 * the browser's requests to it, as on a real store). Each SetStore call is counted in
 * `sink.requests` as the one request it makes on S3 (server/set-store.ts: a PUT, GET, LIST or
 * DELETE each; presigning is no request), so "store requests per file" compares with single files.
 */
import type { SetCompletion, SetRecord, SetStore } from '../server/set-store.ts';
import type { Storage } from '../server/storage.ts';
import type { Sink } from './sink.ts';

/** A set's objects are the sink's under ids `<setId>.<blobId>` and `<setId>.manifest`. */
const blobKey = (setId: string, blobId: string) => `${setId}.${blobId}`;
const manifestKey = (setId: string) => `${setId}.manifest`;
/** the sink's name for a HEAD (server/object-ops.ts stat) */
const STAT = 'server: stat';

/** The sink's Storage with blob ids mapped into the set's own namespace. */
function scoped(base: Storage, setId: string): Storage {
  const k = (id: string) => blobKey(setId, id);
  return {
    publicOrigin: base.publicOrigin,
    customerKeys: base.customerKeys,
    get partChecksum() {
      return base.partChecksum;
    },
    createUpload: (id, expiresAt) => base.createUpload(k(id), expiresAt),
    presignPart: (id, uploadId, partNumber, contentLength, checksum) => base.presignPart(k(id), uploadId, partNumber, contentLength, checksum),
    presignMetaPut: (id, contentLength, expiresAt) => base.presignMetaPut(k(id), contentLength, expiresAt),
    complete: (id, uploadId, parts, expiresAt) => base.complete(k(id), uploadId, parts, expiresAt),
    listParts: (id, uploadId) => base.listParts(k(id), uploadId),
    abort: (id, uploadId) => base.abort(k(id), uploadId),
    remove: (id, role) => base.remove(k(id), role),
    stat: (id, role) => base.stat(k(id), role),
    presignGet: (id, role, customerKey) => base.presignGet(k(id), role, customerKey),
    listIds: base.listIds,
    listUnfinished: async () => null,
  };
}

export function sinkSetStore(sink: Sink): SetStore {
  const base = sink.storage();
  const records = new Map<string, SetRecord>();
  const completions = new Map<string, SetCompletion>();
  const slots = new Map<string, Set<string>>();
  const count = (kind: string) => sink.requests.set(`server: sets ${kind}`, (sink.requests.get(`server: sets ${kind}`) ?? 0) + 1);
  const slotsOf = (id: string) => {
    let s = slots.get(id);
    if (!s) slots.set(id, (s = new Set()));
    return s;
  };
  // On S3 blobSizes is one LIST: the sink's stats it is made of here are not counted.
  const blobSizes = async (id: string) => {
    const stats = sink.requests.get(STAT);
    const sizes = new Map<string, number>();
    for (const blobId of slotsOf(id)) {
      const stat = await base.stat(blobKey(id, blobId), 'data');
      if (stat) sizes.set(blobId, stat.size);
    }
    if (stats === undefined) sink.requests.delete(STAT);
    else sink.requests.set(STAT, stats);
    return sizes;
  };

  return {
    blobs: (id) => scoped(base, id),
    create: async (record) => {
      count('PUT record');
      records.set(record.id, record);
    },
    read: async (id) => {
      count('GET record');
      return records.get(id) ?? null;
    },
    completion: async (id) => {
      count('GET completion');
      return completions.get(id) ?? null;
    },
    complete: async (id, completion) => {
      count('PUT completion');
      if (completions.has(id)) return false;
      completions.set(id, completion);
      return true;
    },
    slots: async (id) => {
      count('LIST slots');
      return [...slotsOf(id)];
    },
    hasSlot: async (id, blobId) => {
      count('LIST slot');
      return slotsOf(id).has(blobId);
    },
    addSlot: async (id, blobId) => {
      count('PUT slot');
      slotsOf(id).add(blobId);
    },
    removeSlot: async (id, blobId) => {
      count('DELETE slot');
      slotsOf(id).delete(blobId);
    },
    blobSizes: async (id) => {
      count('LIST blobs');
      return blobSizes(id);
    },
    presignManifestPut: async (id) => ({ url: `${sink.url}/object/${manifestKey(id)}/data`, headers: {} }),
    manifest: (id) => base.stat(manifestKey(id), 'data'),
    presignManifestGet: (id) => base.presignGet(manifestKey(id), 'data'),
    removeBlob: async (id, blobId) => {
      await base.remove(blobKey(id, blobId), 'data');
      count('DELETE slot');
      slotsOf(id).delete(blobId);
    },
    removeAll: async (id) => {
      count('DELETE record');
      records.delete(id);
      for (const blobId of slotsOf(id)) await base.remove(blobKey(id, blobId), 'data');
      await base.remove(manifestKey(id), 'data');
      slots.delete(id);
      completions.delete(id);
    },
    listIds: async function* () {
      yield* records.keys();
    },
  };
}

/** The sink's Storage with sets: what the sets cases' presign app runs on. */
export function sinkWithSets(sink: Sink): Storage {
  return { ...sink.storage(), sets: sinkSetStore(sink) };
}
