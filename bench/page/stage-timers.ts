/**
 * Stage timers for the profile mode (bench/run.ts --profile), installed in the benchmark's profile
 * worker only: the product's code runs unchanged, and the browser APIs it calls are wrapped here,
 * so nothing in src/ carries a hook. Each wrapped call adds to its stage:
 *
 * - `syncMs`: time inside the call before it returns. On a worker's own thread, so it is CPU that
 *   thread spends (a synchronous access handle's write, a postMessage, whatever crypto.subtle does
 *   before it hands back its promise).
 * - `wallMs`: time until its promise settles, summed over calls (calls in flight at once each
 *   count): how long the code waited on that stage, not CPU. The CPU behind an await runs on
 *   other threads or processes, which the /proc split (bench/threads.ts) places.
 *
 * Why this rather than Chromium's tracing or the CDP Profiler in each worker: the pool replaces
 * its workers every 8 parts, so a profiler would have to attach to every new worker target in
 * time, and the V8 profiler would show crypto.subtle's work only if it runs on the calling thread;
 * wrapping at the API boundary costs ~1 µs a call (a few thousand calls per GiB) and always works.
 * The CPU split between stages comes from the ablation cases (run.ts: read only, read + seal,
 * then the real path), whose differences in CPU-seconds count every thread of every process.
 */

export interface StageStat {
  calls: number;
  bytes: number;
  syncMs: number;
  wallMs: number;
}

export type Stages = Record<string, StageStat>;

export const PROFILE_CHANNEL = 'cipherdrop-profile';

const stages: Stages = {};
/** Each worker sends its running totals; the page keeps the latest per worker. */
const WORKER_ID = crypto.randomUUID();

export interface StageReport {
  worker: string;
  stages: Stages;
}

const add = (stage: string, bytes: number, syncMs: number, wallMs: number) => {
  const s = (stages[stage] ??= { calls: 0, bytes: 0, syncMs: 0, wallMs: 0 });
  s.calls++;
  s.bytes += bytes;
  s.syncMs += syncMs;
  s.wallMs += wallMs;
};

const sizeOf = (value: unknown): number =>
  value instanceof ArrayBuffer ? value.byteLength : ArrayBuffer.isView(value) ? value.byteLength : value instanceof Blob ? value.size : 0;

/** Replaces `owner[name]` by a timed version; bytes from the argument at `bytesArg`, or from the result. */
function time(
  owner: object,
  name: string,
  stage: string | ((args: unknown[]) => string),
  bytesArg?: number,
  bytesOfResult?: (result: unknown) => number,
): void {
  const original = (owner as Record<string, unknown>)[name] as ((...args: unknown[]) => unknown) | undefined;
  if (typeof original !== 'function') return;
  (owner as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    const label = typeof stage === 'string' ? stage : stage(args);
    const t = performance.now();
    const result = original.apply(this, args);
    const sync = performance.now() - t;
    const argBytes = bytesArg === undefined ? 0 : sizeOf(args[bytesArg]);
    if (result instanceof Promise) {
      return result.then(
        (value) => {
          add(label, argBytes + (bytesOfResult?.(value) ?? 0), sync, performance.now() - t);
          return value;
        },
        (error) => {
          add(label, argBytes, sync, performance.now() - t);
          throw error;
        },
      );
    }
    add(label, argBytes + (bytesOfResult?.(result) ?? 0), sync, sync);
    return result;
  };
}

const chunkBytes = (r: unknown) => sizeOf((r as ReadableStreamReadResult<unknown>)?.value);

/** Wraps the APIs the part and range paths call, and sends the totals to the page after every reply. */
export function installStageTimers(): void {
  const g = globalThis as unknown as Record<string, Record<string, unknown>>;
  time(crypto.subtle, 'encrypt', 'seal: crypto.subtle.encrypt', 2);
  time(crypto.subtle, 'decrypt', 'open: crypto.subtle.decrypt', 2);
  time(crypto.subtle, 'digest', 'digest: crypto.subtle.digest', 1);
  // File reads (readBlobInto) and response bodies (readExactly) use a BYOB reader; a stalled file read falls back to a default one.
  time(ReadableStreamDefaultReader.prototype, 'read', 'read: File chunk by copying (await)', undefined, chunkBytes);
  time(ReadableStreamBYOBReader.prototype, 'read', 'BYOB read: File part or response body (await)', undefined, chunkBytes);
  const access = g.FileSystemSyncAccessHandle?.prototype;
  if (access) {
    time(access, 'write', 'spool write: write()', 0);
    time(access, 'flush', 'spool write: flush()');
    time(access, 'truncate', 'spool write: truncate()');
    time(access, 'close', 'spool write: close()');
  }
  time(FileSystemFileHandle.prototype, 'createSyncAccessHandle', 'spool write: open handle');
  time(FileSystemFileHandle.prototype, 'getFile', 'spool: getFile()');
  time(FileSystemDirectoryHandle.prototype, 'getFileHandle', 'spool write: create file');
  time(FileSystemDirectoryHandle.prototype, 'removeEntry', 'spool: remove file');
  time(
    globalThis,
    'fetch',
    (args) => {
      const method = ((args[1] as RequestInit | undefined)?.method ?? 'GET').toUpperCase();
      return method === 'PUT'
        ? 'request: PUT until its response (body sent)'
        : method === 'GET'
          ? 'request: GET until its headers'
          : `request: ${method} (API)`;
    },
    undefined,
    undefined,
  );
  const scope = globalThis as unknown as { postMessage(message: unknown, transfer?: Transferable[]): void };
  const post = scope.postMessage.bind(scope);
  const channel = new BroadcastChannel(PROFILE_CHANNEL);
  scope.postMessage = (message: unknown, transfer?: Transferable[]) => {
    const t = performance.now();
    post(message, transfer ?? []);
    const ms = performance.now() - t;
    const reply = (message as { ok?: boolean; reply?: { plaintext?: ArrayBuffer } }).ok !== undefined;
    add(reply ? 'transfer to the page: postMessage (reply)' : 'postMessage (question)', 0, ms, ms);
    // After every reply: the pool may end this worker once it has its answer (every 8 parts).
    if (reply) channel.postMessage({ worker: WORKER_ID, stages });
  };
}

/** Times a whole step (a sealer's seal, an opener's open), awaited. */
export async function timed<T>(stage: string, bytes: number, run: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await run();
  } finally {
    const ms = performance.now() - t;
    add(stage, bytes, 0, ms);
  }
}
