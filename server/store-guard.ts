/**
 * The guard of the embedded store: Koa middleware run first in s3rver's own chain (inside its
 * child process), so that the store can be left running. s3rver lets anonymous requests through,
 * allows CORS from any origin (`*` rule), joins upload ids into file paths unchecked and dies on a
 * CompleteMultipartUpload naming a missing part; here every request must carry a SigV4 signature
 * (s3rver then checks it), CORS is answered for the app's origins only, requests must have the
 * shapes store-requests.ts accepts, and checks that need the store's state (the part files, an
 * existing object for If-None-Match) run after s3rver has verified the signature.
 *
 * Middleware rather than a proxy in front: s3rver already saturates a core at ~170 MB/s, and a
 * second HTTP hop would copy every byte once more in the same process.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { type CompletedPart, classify, completeXml, hasSigV4, isLoopbackHost, type Operation, parseComplete, StoreError } from './store-requests.ts';

/** The part of s3rver's Koa context the guard uses (s3rver ships no types). */
export interface StoreContext {
  method: string;
  url: string;
  hostname: string;
  query: Record<string, string | string[] | undefined>;
  headers: IncomingHttpHeaders;
  get(field: string): string;
  set(field: string, value: string): void;
  status: number;
  body: unknown;
  type: string;
  req: IncomingMessage;
  res: ServerResponse;
  store: S3rverStore;
}

/** The part of s3rver's FilesystemStore (lib/stores/filesystem.js) the guard wraps. */
export interface S3rverStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  existsObject(bucket: string, key: string): Promise<boolean>;
  putObject(object: unknown): Promise<unknown>;
  putPart(bucket: string, uploadId: string, partNumber: unknown, content: unknown): Promise<unknown>;
  putObjectMultipart(bucket: string, uploadId: string, parts: unknown): Promise<unknown>;
}

export type Middleware = (ctx: StoreContext, next: () => Promise<unknown>) => Promise<void>;

export interface StoreGuard {
  middleware: Middleware;
  /** Replaces the origins allowed to make cross-origin requests. */
  setOrigins(origins: readonly string[]): void;
}

/** A CompleteMultipartUpload lists at most 10 000 parts: ~1 MiB of XML. */
const MAX_XML_BYTES = 2 * 1024 * 1024;
/** What browsers do here: PUT parts and meta, GET ranges, HEAD, POST an SSE-C CreateMultipartUpload. */
const CORS_METHODS = ['GET', 'PUT', 'HEAD', 'POST'];
/** The page reads each part's ETag and the size of ranged reads. */
const CORS_EXPOSE = 'ETag, Content-Range, Content-Length';
const CORS_MAX_AGE = '3000';
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const errorXml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>`;

/** s3rver's own errors (lib/models/error.js) carry their status and render their XML. */
interface S3rverError {
  status: number;
  code: string;
  toXML(): string;
}
const isS3rverError = (e: unknown): e is S3rverError =>
  e instanceof Error && typeof (e as Partial<S3rverError>).status === 'number' && typeof (e as Partial<S3rverError>).toXML === 'function';

function render(ctx: StoreContext, error: unknown): void {
  let status = 500;
  let body = errorXml('InternalError', 'We encountered an internal error. Please try again.');
  if (error instanceof StoreError) {
    status = error.status;
    body = errorXml(error.code, error.message);
  } else if (isS3rverError(error)) {
    // s3rver's deliberate answers, 501 NotImplemented included (e.g. ListMultipartUploads)
    status = error.status;
    body = error.toXML();
  } else {
    console.error('local S3:', error);
  }
  // Nothing s3rver had set (object headers, lengths, its CORS) belongs to the error answer.
  for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name);
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = body;
}

/** Serialises work per key: two Completes of one upload, two conditional PUTs of one object. */
class Locks {
  private readonly tails = new Map<string, Promise<void>>();
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release = () => {};
    const tail = before.then(() => new Promise<void>((resolve) => (release = resolve)));
    this.tails.set(key, tail);
    await before;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLong = () => new StoreError(400, 'MaxMessageLengthExceeded', `The request body exceeds ${limit} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > limit) throw tooLong();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLong();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const noSuchUpload = () => new StoreError(404, 'NoSuchUpload', 'The specified upload does not exist');
const invalidPart = (n: number) => new StoreError(400, 'InvalidPart', `Part ${n} was not uploaded, or its ETag does not match`);

/**
 * The store as this one request sees it: s3rver's controllers call these after its signature
 * check, so probing them (does this object, upload or part exist?) needs a valid signature.
 */
function guardedStore(base: S3rverStore, bucket: string, op: Operation, conditional: boolean, parts: CompletedPart[]): S3rverStore {
  const uploadDir = (uploadId: string) => path.join(base.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  /** s3rver creates the directory of any upload id it is given and completes by the stored key. */
  const checkUpload = async (uploadId: string) => {
    const key = await readFile(path.join(uploadDir(uploadId), 'key'), 'utf8').catch(() => null);
    if (key === null || key !== op.key) throw noSuchUpload();
  };
  const store: S3rverStore = Object.create(base);
  store.putObject = async (object) => {
    if (conditional && (await base.existsObject(bucket, op.key as string))) {
      throw new StoreError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    }
    return base.putObject(object);
  };
  store.putPart = async (b, uploadId, partNumber, content) => {
    await checkUpload(uploadId);
    return base.putPart(b, uploadId, partNumber, content);
  };
  store.putObjectMultipart = async (b, uploadId) => {
    await checkUpload(uploadId);
    // s3rver streams each listed part file and crashes (unhandled ENOENT) on a missing one.
    for (const part of parts) {
      const file = path.join(uploadDir(uploadId), String(part.number));
      const md5 = await readFile(`${file}.md5`, 'utf8').catch(() => null);
      if (md5 !== part.etag || !(await stat(file).catch(() => null))?.isFile()) throw invalidPart(part.number);
    }
    return base.putObjectMultipart(b, uploadId, parts);
  };
  return store;
}

export function createStoreGuard(options: { bucket: string; origins: readonly string[] }): StoreGuard {
  let origins = new Set(options.origins);
  const locks = new Locks();

  function preflight(ctx: StoreContext, origin: string): void {
    const method = ctx.get('access-control-request-method');
    if (!origin || !method) throw new StoreError(400, 'BadRequest', 'Insufficient information. Origin and Access-Control-Request-Method needed.');
    const requested = ctx
      .get('access-control-request-headers')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    if (!origins.has(origin) || !CORS_METHODS.includes(method) || !requested.every((h) => HEADER_NAME.test(h))) {
      throw new StoreError(403, 'AccessDenied', 'CORSResponse: This CORS request is not allowed');
    }
    ctx.set('Access-Control-Allow-Origin', origin);
    ctx.set('Access-Control-Allow-Methods', CORS_METHODS.join(', '));
    if (requested.length) ctx.set('Access-Control-Allow-Headers', requested.join(', '));
    ctx.set('Access-Control-Expose-Headers', CORS_EXPOSE);
    ctx.set('Access-Control-Max-Age', CORS_MAX_AGE);
    ctx.set('Vary', 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method');
    ctx.status = 200;
    ctx.body = '';
  }

  async function pass(ctx: StoreContext, next: () => Promise<unknown>): Promise<void> {
    if (!hasSigV4(ctx.headers, ctx.query)) throw new StoreError(403, 'AccessDenied', 'Anonymous access is not allowed: sign the request (AWS SigV4)');
    if (!isLoopbackHost(ctx.hostname)) throw new StoreError(400, 'InvalidRequest', 'The Host must be a loopback address');
    const op = classify(ctx.method, ctx.url, ctx.query, ctx.headers, options.bucket);
    const conditional = op.action === 'write' && ctx.get('if-none-match') === '*';
    let parts: CompletedPart[] = [];
    if (op.action === 'complete') {
      parts = parseComplete((await readLimited(ctx.req, MAX_XML_BYTES)).toString('utf8'));
      // s3rver reads the body from ctx.req again: hand it the validated list, canonically written.
      ctx.req = Readable.from([Buffer.from(completeXml(parts))]) as unknown as IncomingMessage;
    } else if (op.action === 'create' || op.action === 'putTagging') {
      if (Number(ctx.headers['content-length'] ?? 0) > MAX_XML_BYTES || ctx.headers['transfer-encoding']) {
        throw new StoreError(400, 'MaxMessageLengthExceeded', `The request body must have a Content-Length of at most ${MAX_XML_BYTES} bytes`);
      }
    }
    ctx.store = guardedStore(ctx.store, options.bucket, op, conditional, parts);
    const lock = op.action === 'complete' ? `upload ${op.uploadId}` : conditional ? `object ${op.key}` : null;
    await (lock ? locks.run(lock, next) : next());
  }

  async function middleware(ctx: StoreContext, next: () => Promise<unknown>): Promise<void> {
    const origin = ctx.get('origin');
    try {
      if (ctx.method === 'OPTIONS') return preflight(ctx, origin);
      await pass(ctx, next);
    } catch (error) {
      render(ctx, error);
    }
    if (ctx.method === 'OPTIONS') return;
    // s3rver's CORS comes from the bucket's rule; only the guard's list decides.
    for (const name of ctx.res.getHeaderNames()) if (name.startsWith('access-control-')) ctx.res.removeHeader(name);
    ctx.set('Vary', 'Origin');
    if (origins.has(origin)) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Expose-Headers', CORS_EXPOSE);
    }
  }

  return {
    middleware,
    setOrigins(list) {
      origins = new Set(list);
    },
  };
}
