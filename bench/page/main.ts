/**
 * The benchmark page: drives the real engine (uploader, worker pool, downloader, service-worker
 * save path) and reports its own timings. Loaded by bench/run.ts through a CDP pipe, never with
 * the DevTools Network domain on. Not part of the product build.
 */
import { openDataObject } from '../../src/download/data-object.ts';
import { downloadTo, openLink, parseLink, type Sink } from '../../src/download/downloader.ts';
import { ServiceWorkerSink, serviceWorker } from '../../src/download/sinks.ts';
import { createApi } from '../../src/transfer/api.ts';
import { orderedPool } from '../../src/transfer/ordered-pool.ts';
import { FILES_IN_FLIGHT } from '../../src/upload/queue.ts';
import { type UploadSource, uploadFile } from '../../src/upload/uploader.ts';
import { WorkerPool } from '../../src/workers/pool.ts';
import { unusedKeys } from './plain-opener.ts';
import { plainSealer } from './plain-sealer.ts';
import { countingSink, setCases } from './set-cases.ts';
import { PROFILE_CHANNEL, type StageReport, type Stages } from './stage-timers.ts';

const fromFile = (file: File): UploadSource => ({ blob: file, name: file.name, type: file.type, lastModified: file.lastModified });

export interface Settings {
  frameLength: number;
  partSize: number;
  workers: number;
  inFlight: number;
}

const api = createApi({ base: location.origin });

/** The plaintext baseline's workers serve the same protocol with the identity sealer and opener (plain-sealer.ts, plain-opener.ts). */
const plainWorker = () => new Worker(new URL('./plain.worker.ts', import.meta.url), { type: 'module', name: 'cipherdrop-plain' });

/** The profile mode's worker (profile.worker.ts): a variant of the path, with stage timers. */
const profileWorker = (variant: string) => () => new Worker(new URL('./profile.worker.ts', import.meta.url), { type: 'module', name: `cipherdrop-profile-${variant}` });

/** Profile variants: which sealer and opener the workers use, and whether parts are planned as plaintext. */
export type Variant = 'encrypted' | 'plain' | 'read' | 'sealed';

let pool: WorkerPool | undefined;
let poolKind = '';
/** One pool at a time, so idle workers of the other kind hold no memory while a case runs. */
const runner = (workers: number, plain = false, profile?: Variant) => {
  const kind = `${workers}${plain ? ' plain' : ''}${profile ? ` profile ${profile}` : ''}`;
  if (!pool || poolKind !== kind) {
    pool?.terminate();
    pool = profile ? new WorkerPool(workers, profileWorker(profile)) : plain ? new WorkerPool(workers, plainWorker) : new WorkerPool(workers);
    poolKind = kind;
  }
  return pool;
};

/** The profile workers' stage totals: the latest per worker (workers end every 8 parts; their last totals stay). */
const stageReports = new Map<string, Stages>();
new BroadcastChannel(PROFILE_CHANNEL).onmessage = (event: MessageEvent<StageReport>) => stageReports.set(event.data.worker, event.data.stages);
const sumStages = (): Stages => {
  const sum: Stages = {};
  for (const stages of stageReports.values()) {
    for (const [name, s] of Object.entries(stages)) {
      const t = (sum[name] ??= { calls: 0, bytes: 0, syncMs: 0, wallMs: 0 });
      t.calls += s.calls;
      t.bytes += s.bytes;
      t.syncMs += s.syncMs;
      t.wallMs += s.wallMs;
    }
  }
  return sum;
};
let stageBaseline: Stages = {};

const file = () => {
  const f = (document.getElementById('file') as HTMLInputElement).files?.[0];
  if (!f) throw new Error('no file chosen');
  return f;
};

const bench = {
  ready: serviceWorker().then((sw) => Boolean(sw)),

  /** One link for many files: upload as a set, download all as one ZIP (set-cases.ts, bench/sets.ts). */
  sets: setCases((workers) => runner(workers)),

  /** Starts a profiled case: stage totals are counted from here. */
  stagesStart() {
    stageBaseline = sumStages();
  },

  /** The stage totals since stagesStart, once the last workers' reports have arrived. */
  async stagesSince(): Promise<Stages> {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = sumStages();
    for (const [name, b] of Object.entries(stageBaseline)) {
      const s = now[name];
      if (!s) continue;
      s.calls -= b.calls;
      s.bytes -= b.bytes;
      s.syncMs -= b.syncMs;
      s.wallMs -= b.wallMs;
    }
    return now;
  },

  async upload(plain: boolean, s: Settings, profile?: Variant) {
    const f = file();
    const t = performance.now();
    const result = await uploadFile(fromFile(f), {
      api,
      runner: runner(s.workers, plain, profile),
      sealer: plain || (profile && profile !== 'encrypted') ? plainSealer : undefined,
      frameLength: s.frameLength,
      partPlaintextSize: s.partSize,
      partsInFlight: s.inFlight,
    });
    return { ms: performance.now() - t, bytes: f.size, linkPath: result.linkPath, id: result.id };
  },

  /** The plaintext baseline: the same ranged GETs, BYOB reads, workers and ordering, no opening. */
  async downloadPlain(url: string, size: number, s: Settings, profile?: Variant) {
    const rangeSize = s.partSize;
    const count = Math.ceil(size / rangeSize);
    const pool = runner(s.workers, true, profile);
    const keys = await unusedKeys();
    let bytes = 0;
    const t = performance.now();
    await orderedPool(
      count,
      s.inFlight,
      (i) => {
        const start = i * rangeSize;
        const end = Math.min(size, start + rangeSize) - 1;
        return pool.decryptFrames({ url, run: { start, end, firstSeq: 1, endsMessage: false, plainLength: end - start + 1 }, keys });
      },
      (buffer) => {
        bytes += buffer.byteLength;
        // As the counted download does (downloader.ts, Sink `releasesChunks`): the next ranges are read into it.
        pool.recycle(buffer);
      },
    );
    return { ms: performance.now() - t, bytes };
  },

  /** The real viewer path: open the link, verify the header, download and decrypt in workers. */
  async downloadDecrypt(linkPath: string, save: boolean, s: Settings, profile?: Variant) {
    const url = new URL(linkPath, location.origin);
    const { id, secret } = parseLink(url.pathname, url.hash);
    const t = performance.now();
    const link = await openLink(api, id, secret);
    const data = await openDataObject(link, { api, runner: runner(s.workers, false, profile) });
    const sw = await serviceWorker();
    const counting = countingSink();
    const sink = save && sw ? await ServiceWorkerSink.open(sw, link.meta.name, link.meta.size, () => undefined) : counting;
    await downloadTo(data, sink, { rangesInFlight: s.inFlight, rangeSize: s.partSize });
    return { ms: performance.now() - t, bytes: link.meta.size, counted: counting.bytes };
  },

  /**
   * Many small files (#files), each through uploadFile as the upload queue runs them:
   * FILES_IN_FLIGHT files at once, each created, sealed, PUT and completed.
   */
  async uploadMany(plain: boolean, s: Settings) {
    const files = [...((document.getElementById('files') as HTMLInputElement).files ?? [])];
    if (files.length === 0) throw new Error('no files chosen');
    const pool = runner(s.workers, plain);
    let next = 0;
    let bytes = 0;
    const t = performance.now();
    const lane = async () => {
      for (let i = next++; i < files.length; i = next++) {
        await uploadFile(fromFile(files[i]), { api, runner: pool, sealer: plain ? plainSealer : undefined, frameLength: s.frameLength, partPlaintextSize: s.partSize, partsInFlight: s.inFlight });
        bytes += files[i].size;
      }
    };
    await Promise.all(Array.from({ length: FILES_IN_FLIGHT }, lane));
    return { ms: performance.now() - t, bytes, files: files.length };
  },
};

(window as unknown as { bench: typeof bench }).bench = bench;
