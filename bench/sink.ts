/**
 * The benchmark's own fast loopback "store": it answers presigned part PUTs (with an ETag),
 * single PUTs, and ranged GETs, so the browser — not s3rver's one saturated core — is what the
 * throughput cases measure. It implements the presign server's Storage interface, so the real
 * presign app (server/app.ts) runs in front of it unchanged.
 *
 * Uploads are discarded (counted) unless `keep` is on; kept objects are written to disk as
 * parts and served back with ranges.
 */
import type { PartChecksum } from '../src/contract/api.ts';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { buildApp } from '../server/app.ts';
import { openAccess, openLimits } from '../server/config.ts';
import type { ObjectStat, Storage } from '../server/storage.ts';

interface StoredObject {
  /** files holding the object, in order, with their sizes */
  pieces: { file: string; size: number }[];
  size: number;
}

export class Sink {
  readonly url: string;
  /** when true, part uploads are written to disk and can be downloaded after Complete */
  keep = false;
  /** the checksum the page computes per part (the sink does not check it: only its cost is measured) */
  partChecksum: PartChecksum | null = null;
  /** When set, each part's body is read no faster than this (MB/s, per request): a slow store, by TCP backpressure. */
  partMBps: number | null = null;
  /**
   * Requests the store received, by kind: the browser's (`PUT part`, `PUT object`, `GET object`,
   * `OPTIONS` preflights) and the presign server's calls that are requests on a real S3
   * (`server: createUpload`, `server: complete`…); signing a URL is no request and is not counted.
   */
  readonly requests = new Map<string, number>();
  private count(kind: string): void {
    this.requests.set(kind, (this.requests.get(kind) ?? 0) + 1);
  }
  private readonly uploads = new Map<string, { id: string; keep: boolean; parts: Map<number, { file?: string; size: number }> }>();
  private readonly objects = new Map<string, StoredObject>();

  private constructor(
    private readonly server: http.Server,
    private readonly dir: string,
  ) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(dir: string): Promise<Sink> {
    mkdirSync(dir, { recursive: true });
    const server = http.createServer();
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sink = new Sink(server, dir);
    server.on('request', (req, res) => {
      sink.handle(req, res).catch((error: unknown) => {
        res.writeHead(500);
        res.end(String(error));
      });
    });
    return sink;
  }

  /** Serves an existing file as an object (the plaintext baseline for downloads). */
  addFileObject(key: string, file: string): void {
    const size = statSync(file).size;
    this.objects.set(key, { pieces: [{ file, size }], size });
  }

  private cors(res: http.ServerResponse): void {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-methods', 'GET, PUT, HEAD');
    res.setHeader('access-control-allow-headers', '*');
    res.setHeader('access-control-expose-headers', 'ETag, Content-Range, Content-Length');
    res.setHeader('access-control-max-age', '3000');
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.cors(res);
    const url = new URL(req.url ?? '/', this.url);
    const [, kind, a, b] = url.pathname.split('/');
    this.count(req.method === 'OPTIONS' ? 'OPTIONS (preflight)' : `${req.method} ${kind}`);
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    if (req.method === 'PUT' && kind === 'part') return this.putPart(req, res, a, Number(b));
    if (req.method === 'PUT' && kind === 'object') return this.putObject(req, res, `${a}/${b}`);
    if (req.method === 'GET' && kind === 'object') return this.get(req, res, `${a}/${b}`);
    res.writeHead(404).end();
  }

  private async putPart(req: http.IncomingMessage, res: http.ServerResponse, uploadId: string, partNumber: number): Promise<void> {
    const upload = this.uploads.get(uploadId);
    if (!upload) return void res.writeHead(404).end();
    let size = 0;
    let file: string | undefined;
    if (upload.keep) {
      file = path.join(this.dir, `${uploadId}.${partNumber}`);
      const out = createWriteStream(file);
      req.on('data', (c: Buffer) => {
        size += c.byteLength;
      });
      await pipeline(req, out);
    } else {
      const started = performance.now();
      for await (const chunk of req) {
        size += (chunk as Buffer).byteLength;
        const ahead = this.partMBps ? size / (this.partMBps * 1000) - (performance.now() - started) : 0;
        if (ahead > 1) await new Promise((resolve) => setTimeout(resolve, ahead));
      }
    }
    upload.parts.set(partNumber, { file, size });
    res.writeHead(200, { etag: `"${createHash('md5').update(`${uploadId}:${partNumber}:${size}`).digest('hex')}"` }).end();
  }

  private async putObject(req: http.IncomingMessage, res: http.ServerResponse, key: string): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const file = path.join(this.dir, key.replace('/', '.'));
    const body = Buffer.concat(chunks);
    await pipeline([body], createWriteStream(file));
    this.objects.set(key, { pieces: [{ file, size: body.byteLength }], size: body.byteLength });
    res.writeHead(200, { etag: '"0"' }).end();
  }

  private async get(req: http.IncomingMessage, res: http.ServerResponse, key: string): Promise<void> {
    const object = this.objects.get(key);
    if (!object) return void res.writeHead(404).end();
    const match = /^bytes=(\d+)-(\d+)?$/.exec(req.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    const end = match?.[2] ? Math.min(Number(match[2]), object.size - 1) : object.size - 1;
    res.writeHead(match ? 206 : 200, {
      'content-length': end - start + 1,
      ...(match ? { 'content-range': `bytes ${start}-${end}/${object.size}` } : {}),
    });
    let offset = 0;
    for (const piece of object.pieces) {
      const from = Math.max(start, offset);
      const to = Math.min(end, offset + piece.size - 1);
      if (from <= to) await pipeline(createReadStream(piece.file, { start: from - offset, end: to - offset }), res, { end: false });
      offset += piece.size;
    }
    res.end();
  }

  /** The presign server's view of this store; `checksum` fixes its part checksum mode (else `partChecksum`, switchable). */
  storage(checksum?: PartChecksum | null): Storage {
    const sink = this;
    return {
      publicOrigin: this.url,
      customerKeys: false,
      get partChecksum() {
        return checksum === undefined ? sink.partChecksum : checksum;
      },
      createUpload: async (id) => {
        this.count('server: createUpload');
        const uploadId = randomBytes(8).toString('hex');
        this.uploads.set(uploadId, { id, keep: this.keep, parts: new Map() });
        return { uploadId };
      },
      presignPart: async (_id, uploadId, partNumber) => `${this.url}/part/${uploadId}/${partNumber}`,
      presignMetaPut: async (id) => ({ url: `${this.url}/object/${id}/meta`, headers: {} }),
      complete: async (id, uploadId) => {
        this.count('server: complete');
        const upload = this.uploads.get(uploadId);
        if (!upload) throw new Error('no such upload');
        const parts = [...upload.parts.entries()].sort(([x], [y]) => x - y).map(([, p]) => p);
        const pieces = parts.filter((p) => p.file).map((p) => ({ file: p.file as string, size: p.size }));
        this.objects.set(`${id}/data`, { pieces, size: parts.reduce((n, p) => n + p.size, 0) });
        this.uploads.delete(uploadId);
      },
      listParts: async () => {
        this.count('server: listParts');
        return null;
      },
      abort: async (_id, uploadId) => {
        this.count('server: abort');
        return this.uploads.delete(uploadId);
      },
      remove: async (id, role) => {
        this.count('server: remove');
        this.objects.delete(`${id}/${role}`);
      },
      stat: async (id, role): Promise<ObjectStat | null> => {
        this.count('server: stat');
        const object = this.objects.get(`${id}/${role}`);
        return object ? { size: object.size, expiresAt: null, customerKey: false, modifiedAt: null } : null;
      },
      presignGet: async (id, role) => `${this.url}/object/${id}/${role}`,
      listIds: async function* (this: void) {},
      listUnfinished: async () => null,
    };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The presign app, open to all, in front of `storage`, serving the built bench page (bench/dist) on loopback. */
export async function serveBenchApp(storage: Storage): Promise<{ url: string; close(): Promise<void> }> {
  const app = await buildApp({ access: openAccess(), limits: openLimits(), storage, presignExpiresSeconds: 3600, staticDir: path.resolve('bench/dist') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`, close: () => app.close() };
}
