/** A pool of crypto workers: each request goes to the least busy worker; one AbortSignal per request. */
import { reviveError, serializeError, TransferError } from '../errors.ts';
import { spentPlaintext } from '../transfer/buffers.ts';
import type { PartRunner, RunnerContext } from '../transfer/parts.ts';
import type { DecryptFramesRequest, FrameRunner } from '../transfer/ranges.ts';
import type { SendPartRequest } from '../upload/send-part.ts';
import type { AskName, FromWorker, PageHandlers, RequestName, ToWorker, WorkerRequests } from './protocol.ts';

/** Two workers already use both cores here; more only add memory and contention. */
export const MAX_WORKERS = 4;
/**
 * A worker is replaced after it has sent this many parts from memory (where there is no OPFS
 * spool: platform/features.ts). Chromium keeps each in-memory request body's copy alive until the
 * small Request wrapper is garbage-collected, which V8 does late because it does not see the
 * body's weight: renderer memory then grows with the file (measured: 3.6 GiB after 3 GiB of
 * uploads, see README "Benchmark"). Ending a worker frees everything its isolate held.
 * Spooled parts (file-backed bodies) and ranges leave nothing like it, and replacing their workers
 * cost more than it saved: each ended worker's part buffers stayed resident long after it ended
 * (README "Where the CPU goes", Memory), so those workers live as long as the pool.
 */
export const MEMORY_BODIES_PER_WORKER = 8;

interface Pending {
  resolve(reply: unknown): void;
  reject(error: Error): void;
  worker: number;
  /** the page's answers to the worker's questions during this request */
  handlers: PageHandlers;
}

/** The production worker: AES-GCM sealing (crypto.worker.ts). */
const cryptoWorker = (): Worker => new Worker(new URL('./crypto.worker.ts', import.meta.url), { type: 'module', name: 'cipherdrop-crypto' });

export class WorkerPool implements PartRunner, FrameRunner {
  private readonly workers: Worker[];
  private readonly load: number[];
  /** parts each worker has sent from memory (workers/serve.ts: `keptBody`) */
  private readonly keptBodies: number[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /**
   * One per core, at most 4: more workers than cores gained nothing at 1 GiB and cost memory (README "Benchmark").
   * `createWorker`: a worker serving the same protocol with another sealer (the benchmark's identity sealer).
   */
  constructor(
    size = Math.min(MAX_WORKERS, Math.max(1, navigator.hardwareConcurrency || 2)),
    private readonly createWorker: () => Worker = cryptoWorker,
  ) {
    this.workers = Array.from({ length: size }, () => this.spawn());
    this.load = this.workers.map(() => 0);
    this.keptBodies = this.workers.map(() => 0);
  }

  private spawn(): Worker {
    const worker = this.createWorker();
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.settle(event.data);
    // A worker that fails outside a request (it could not load, it ran out of memory) would leave
    // its requests waiting forever: they fail as network errors. A range is fetched again under the
    // download's retry policy; a part fails its file, which Retry resumes (its recorded digest still
    // holds the part to its bytes), since a part's one retry loop runs inside the worker.
    worker.onerror = (event) => {
      event.preventDefault();
      this.replace(worker, `A crypto worker failed: ${event.message || 'it stopped'}`);
    };
    worker.onmessageerror = () => this.replace(worker, 'A crypto worker could not read a message');
    return worker;
  }

  /** Ends worker `index` and starts a fresh one in its place. */
  private respawn(index: number): void {
    this.workers[index].terminate();
    this.workers[index] = this.spawn();
    this.load[index] = 0;
    this.keptBodies[index] = 0;
  }

  private replace(worker: Worker, why: string): void {
    const index = this.workers.indexOf(worker);
    if (index < 0) return;
    this.respawn(index);
    for (const [id, pending] of this.pending) {
      if (pending.worker !== index) continue;
      this.pending.delete(id);
      pending.reject(new TransferError('Network', why));
    }
  }

  /** The least busy worker that is not due for replacement (or the least busy, if all are). */
  private pick(): number {
    let best = -1;
    for (let i = 0; i < this.workers.length; i++) {
      if (this.keptBodies[i] > 0 && this.keptBodies[i] + this.load[i] >= MEMORY_BODIES_PER_WORKER) continue;
      if (best < 0 || this.load[i] < this.load[best]) best = i;
    }
    return best >= 0 ? best : this.load.indexOf(Math.min(...this.load));
  }

  get size(): number {
    return this.workers.length;
  }

  /** The worker signs again with its own API client, made from `api.endpoint`; it asks the page only to save the part's digest. */
  sendPart(request: SendPartRequest, { api, signal, recordDigest }: RunnerContext): Promise<{ etag: string }> {
    return this.run('sendPart', { ...request, endpoint: api.endpoint }, signal, [], {
      recordDigest: ({ digest }) => recordDigest(digest).then(() => undefined),
    });
  }

  /** Each run is opened into a spent plaintext buffer where the page has one (transfer/buffers.ts `spentPlaintext`). */
  async decryptFrames(request: DecryptFramesRequest, signal?: AbortSignal): Promise<Uint8Array<ArrayBuffer>> {
    const into = spentPlaintext.spare(request.run.plainLength);
    const { plaintext } = await this.run('decryptFrames', { ...request, into }, signal, into ? [into] : []);
    return new Uint8Array(plaintext, 0, request.run.plainLength);
  }

  /** A run's plaintext the sink is done with: the next ranges are opened into it. */
  recycle(plaintext: Uint8Array<ArrayBuffer>): void {
    spentPlaintext.give(plaintext);
  }

  run<K extends RequestName>(
    type: K,
    payload: WorkerRequests[K]['request'],
    signal?: AbortSignal,
    transfer: Transferable[] = [],
    handlers: PageHandlers = {},
  ): Promise<WorkerRequests[K]['reply']> {
    if (signal?.aborted) return Promise.reject(new TransferError('Aborted', 'Cancelled'));
    const id = this.nextId++;
    const worker = this.pick();
    this.load[worker]++;
    return new Promise((resolve, reject) => {
      const onAbort = () => this.workers[worker].postMessage({ id, type: 'abort' } satisfies ToWorker);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        worker,
        handlers,
        resolve: (reply) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(reply as WorkerRequests[K]['reply']);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      this.workers[worker].postMessage({ id, type, payload } as ToWorker, transfer);
    });
  }

  private settle(message: FromWorker): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if ('ask' in message) {
      this.answer(pending, message);
      return;
    }
    this.pending.delete(message.id);
    const w = pending.worker;
    this.load[w]--;
    if (message.ok && message.keptBody) this.keptBodies[w]++;
    if (this.keptBodies[w] >= MEMORY_BODIES_PER_WORKER && this.load[w] === 0) this.respawn(w);
    if (message.ok) pending.resolve(message.reply);
    else pending.reject(reviveError(message.error));
  }

  /** Answers a worker's question; without a handler the answer is an error, so a part is never sent unrecorded. */
  private answer(pending: Pending, { id, ask, payload }: Extract<FromWorker, { ask: AskName }>): void {
    const worker = this.workers[pending.worker];
    const handler = pending.handlers[ask];
    (handler ? handler(payload) : Promise.reject(new Error(`Nothing in the page answers ${ask}`))).then(
      (reply) => worker.postMessage({ id, type: 'answer', ask, reply } satisfies ToWorker),
      (error) => worker.postMessage({ id, type: 'answer', ask, error: serializeError(error) } satisfies ToWorker),
    );
  }

  terminate(): void {
    for (const worker of this.workers) worker.terminate();
    for (const pending of this.pending.values()) pending.reject(new TransferError('Aborted', 'Cancelled'));
    this.pending.clear();
  }
}
