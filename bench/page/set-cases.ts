/**
 * The sets cases of the benchmark page (bench/sets.ts): the picked files (#files) uploaded as ONE
 * set the way the upload page does it — PageSets packing them into blobs that go through the upload
 * queue (its files and parts in flight), then the manifest sealed and the set completed — and the
 * recipient's "Download all as ZIP": the set link opened, the manifest decrypted, every member read
 * from its blob's verified frames into zip.js's stream, written to a sink that counts or to disk
 * through the service worker, as SetDownloads does (pump.ts).
 */
import type { Sink } from '../../src/download/downloader.ts';
import { pumpToSink, streamChunks } from '../../src/download/pump.ts';
import { ServiceWorkerSink, serviceWorker } from '../../src/download/sinks.ts';
import { zipStream } from '../../src/download/zip.ts';
import { zipSize } from '../../src/download/zip-size.ts';
import { fetchSet, parseSetLink, unlockSet } from '../../src/sets/open-set.ts';
import { PageSets } from '../../src/sets/page-sets.ts';
import { blobReaders, zipMembers } from '../../src/sets/set-reading.ts';
import { createApi } from '../../src/transfer/api.ts';
import { UploadQueue } from '../../src/upload/queue.ts';
import { MemoryResumeStore } from '../../src/upload/resume-store.ts';
import type { WorkerPool } from '../../src/workers/pool.ts';

export interface SetSettings {
  frameLength: number;
  partSize: number;
  workers: number;
  inFlight: number;
}

const api = createApi({ base: location.origin });

const pickedFiles = (): File[] => {
  const files = [...((document.getElementById('files') as HTMLInputElement).files ?? [])];
  if (files.length === 0) throw new Error('no files chosen');
  return files;
};

/**
 * Counts what is written: the engine's speed without the disk (main.ts's cases use it too). It
 * keeps nothing, so a download may open later ranges into the chunks it has counted, as it does
 * for the app's save picker (Sink `releasesChunks`).
 */
export const countingSink = (): Sink & { bytes: number } => {
  const sink = {
    releasesChunks: true,
    bytes: 0,
    write: async (chunk: Uint8Array) => {
      sink.bytes += chunk.byteLength;
    },
    close: async () => {},
    abort: async () => {},
  };
  return sink;
};

/** `pool(workers)`: the page's one worker pool (main.ts), so no idle second pool holds memory. */
export function setCases(pool: (workers: number) => WorkerPool) {
  return {
    /** The picked files as one set, through PageSets and the upload queue; resolves when its link exists. */
    async upload(s: SetSettings) {
      const files = pickedFiles();
      const queue = new UploadQueue({
        api,
        runner: pool(s.workers),
        store: new MemoryResumeStore(),
        describe: (error) => String(error),
        partsInFlight: s.inFlight,
        partPlaintextSize: s.partSize,
        frameLength: s.frameLength,
      });
      const sets = new PageSets(queue, () => api, (error) => String(error));
      const t = performance.now();
      const done = new Promise<{ linkPath: string; id: string; ownerToken: string }>((resolve, reject) => {
        sets.subscribe(() => {
          const [set] = sets.getSnapshot();
          if (set?.phase === 'done' && set.linkPath && set.id && set.ownerToken) resolve({ linkPath: set.linkPath, id: set.id, ownerToken: set.ownerToken });
          if (set?.phase === 'failed') reject(new Error(`set upload failed: ${set.error}`));
        });
      });
      sets.start(
        files.map((file) => ({ file, path: `bench/${file.name}` })),
        [],
        {},
        'bench',
      );
      const link = await done;
      const blobs = queue.getSnapshot().length;
      return { ms: performance.now() - t, bytes: files.reduce((n, f) => n + f.size, 0), files: files.length, blobs, ...link };
    },

    /**
     * The whole set as one ZIP: to a counting sink, or (`save`) to disk through the service worker.
     * `before`: members read as before the fix of 2026-12-02, every one in 4 MiB runs (zip.js's 256 KiB chunks, the other half of that fix, went with zip.js).
     */
    async downloadZip(linkPath: string, save: boolean, s: SetSettings, before = false) {
      const url = new URL(linkPath, location.origin);
      const t = performance.now();
      const { id, secret } = parseSetLink(url.pathname, url.hash);
      const set = await unlockSet(await fetchSet(api, id, secret), secret);
      const members = zipMembers(set.manifest, blobReaders(api, pool(s.workers), set), undefined, before ? Number.POSITIVE_INFINITY : undefined);
      const sw = save ? await serviceWorker() : null;
      if (save && !sw) throw new Error('no service worker: cannot save to disk');
      const counting = countingSink();
      // The archive's exact length, as SetDownloads gives it.
      const sink: Sink = sw ? await ServiceWorkerSink.open(sw, `cipherdrop-${id}.zip`, zipSize(members), () => undefined) : counting;
      // The page's one write path (SetDownloads): chunks in order, the sink closed only when all is in.
      const zipBytes = await pumpToSink(streamChunks(zipStream(members)), sink);
      const files = members.filter((m) => !m.dir).length;
      return { ms: performance.now() - t, bytes: members.reduce((n, m) => n + m.size, 0), zipBytes, files };
    },
  };
}
