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
import { type UploadSource, uploadFile } from '../../src/upload/uploader.ts';

const fromFile = (file: File): UploadSource => ({ blob: file, name: file.name, type: file.type, lastModified: file.lastModified });
import { WorkerPool } from '../../src/workers/pool.ts';
import { unusedKeys } from './plain-opener.ts';
import { plainSealer } from './plain-sealer.ts';

export interface Settings {
  frameLength: number;
  partSize: number;
  workers: number;
  inFlight: number;
}

const api = createApi({ base: location.origin });

/** The plaintext baseline's workers serve the same protocol with the identity sealer and opener (plain-sealer.ts, plain-opener.ts). */
const plainWorker = () => new Worker(new URL('./plain.worker.ts', import.meta.url), { type: 'module', name: 'cipherdrop-plain' });

let pool: WorkerPool | undefined;
let poolKind = '';
/** One pool at a time, so idle workers of the other kind hold no memory while a case runs. */
const runner = (workers: number, plain = false) => {
  const kind = `${workers}${plain ? ' plain' : ''}`;
  if (!pool || poolKind !== kind) {
    pool?.terminate();
    pool = plain ? new WorkerPool(workers, plainWorker) : new WorkerPool(workers);
    poolKind = kind;
  }
  return pool;
};

const file = () => {
  const f = (document.getElementById('file') as HTMLInputElement).files?.[0];
  if (!f) throw new Error('no file chosen');
  return f;
};

const countingSink = (): Sink & { bytes: number } => {
  const sink = {
    bytes: 0,
    write: async (chunk: Uint8Array) => {
      sink.bytes += chunk.byteLength;
    },
    close: async () => {},
    abort: async () => {},
  };
  return sink;
};

const bench = {
  ready: serviceWorker().then((sw) => Boolean(sw)),

  async upload(plain: boolean, s: Settings) {
    const f = file();
    const t = performance.now();
    const result = await uploadFile(fromFile(f), {
      api,
      runner: runner(s.workers, plain),
      sealer: plain ? plainSealer : undefined,
      frameLength: s.frameLength,
      partPlaintextSize: s.partSize,
      partsInFlight: s.inFlight,
    });
    return { ms: performance.now() - t, bytes: f.size, linkPath: result.linkPath, id: result.id };
  },

  /** The plaintext baseline: the same ranged GETs, BYOB reads, workers and ordering, no opening. */
  async downloadPlain(url: string, size: number, s: Settings) {
    const rangeSize = s.partSize;
    const count = Math.ceil(size / rangeSize);
    const pool = runner(s.workers, true);
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
      },
    );
    return { ms: performance.now() - t, bytes };
  },

  /** The real viewer path: open the link, verify the header, download and decrypt in workers. */
  async downloadDecrypt(linkPath: string, save: boolean, s: Settings) {
    const url = new URL(linkPath, location.origin);
    const { id, secret } = parseLink(url.pathname, url.hash);
    const t = performance.now();
    const link = await openLink(api, id, secret);
    const data = await openDataObject(link, { api, runner: runner(s.workers) });
    const sw = await serviceWorker();
    const counting = countingSink();
    const sink = save && sw ? await ServiceWorkerSink.open(sw, link.meta.name, link.meta.size, () => undefined) : counting;
    await downloadTo(data, sink, { rangesInFlight: s.inFlight, rangeSize: s.partSize });
    return { ms: performance.now() - t, bytes: link.meta.size, counted: counting.bytes };
  },
};

(window as unknown as { bench: typeof bench }).bench = bench;
