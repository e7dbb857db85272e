/**
 * Builds the presign server: the JSON API and the built page. Never listens (main.ts does),
 * so tests drive it with `app.inject`. The routes live in routes/; this file holds what every
 * answer shares: the Host allow-list, the security headers, the error shape, limits.
 */
import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { PublicConfigResponse } from '../src/contract/api.ts';
import { idParams } from '../src/contract/schemas.ts';
import { type AccessSettings, type EdgeSettings, type LimitSettings, loopbackEdge } from './config.ts';
import { ApiError, errorBody, fromFrameworkError } from './errors.ts';
import { securityHeaders } from './headers.ts';
import { keyedMutex } from './keyed-mutex.ts';
import { registerLimits } from './limits.ts';
import { reservations } from './requests.ts';
import { fileRoutes } from './routes/files.ts';
import { requestRoutes } from './routes/requests.ts';
import { setRoutes } from './routes/sets.ts';
import { uploadRoutes } from './routes/uploads.ts';
import { sets as setService } from './sets.ts';
import type { Storage } from './storage.ts';

export interface AppOptions {
  storage: Storage;
  access: AccessSettings;
  limits: LimitSettings;
  presignExpiresSeconds: number;
  /** Host names answered, HSTS; default: loopback only, no HSTS */
  edge?: EdgeSettings;
  /** The built page (vite build output); omitted in API-only tests. */
  staticDir?: string;
  logger?: FastifyServerOptions['logger'];
  /** Blob uploads a set may hold: MAX_SET_BLOBS unless a test wants to reach it */
  maxSetBlobs?: number;
}

/** The largest JSON body: a Complete with 10 000 parts is ~600 KB. */
const BODY_LIMIT = 1024 * 1024;
/** No URL of ours comes near this; longer ones are refused before routing. */
const MAX_URL_LENGTH = 4096;
/** Vite's hashed asset names never change content, so they may be cached forever. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The port-less, lower-case host name of a Host header (`[::1]:8080` → `[::1]`). */
export function hostName(host: string | undefined): string {
  const value = (host ?? '').toLowerCase();
  return value.startsWith('[') ? value.slice(0, value.indexOf(']') + 1) : value.split(':')[0];
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { storage } = options;
  const edge = options.edge ?? loopbackEdge();
  const allowedHosts = new Set(edge.allowedHosts);
  // hash-wasm computes MD5 in WebAssembly (crypto/md5.ts), which the CSP must then allow, and only
  // then: for MD5 part checksums, and for SSE-C (the key's MD5). Read per answer: the benchmark
  // switches the checksum mode while the server runs.
  const headers = () => ({
    ...securityHeaders(storage.publicOrigin, { wasm: storage.partChecksum === 'md5' || storage.customerKeys }),
    ...(edge.hstsMaxAge > 0 ? { 'strict-transport-security': `max-age=${edge.hstsMaxAge}; includeSubDomains` } : {}),
  });
  /** Answers that never reach a route (bad escapes, malformed requests) get the same headers and shape. */
  const rawError = (error: ApiError) => ({
    status: error.status,
    headers: { ...headers(), 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(errorBody(error)),
  });

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT,
    trustProxy: options.limits.trustProxy,
    // Strict schemas: no type coercion, and unknown fields are refused rather than silently dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    frameworkErrors: (_error, request, reply) => {
      const answer = rawError(
        request.url.length > MAX_URL_LENGTH
          ? new ApiError('UriTooLong', `URLs are at most ${MAX_URL_LENGTH} characters`)
          : new ApiError('BadRequest', 'Malformed request URL'),
      );
      (reply as FastifyReply).status(answer.status).headers(answer.headers).send(answer.body);
    },
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return;
      const tooLarge = (error as { code?: string }).code === 'HPE_HEADER_OVERFLOW';
      const answer = rawError(
        tooLarge ? new ApiError('UriTooLong', 'Request line or headers too large') : new ApiError('BadRequest', 'Malformed HTTP request'),
      );
      const lines = Object.entries({ ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)), connection: 'close' });
      socket.end(
        `HTTP/1.1 ${answer.status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n${lines.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${answer.body}`,
      );
    },
  });
  // The API speaks JSON only; any other body type is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (request) => {
    if (request.url.length > MAX_URL_LENGTH) throw new ApiError('UriTooLong', `URLs are at most ${MAX_URL_LENGTH} characters`);
    // A DNS-rebinding page reaches us under its own host name: only names we serve are answered.
    if (!allowedHosts.has(hostName(request.headers.host))) throw new ApiError('MisdirectedRequest', 'This server does not serve that host name');
  });

  app.addHook('onSend', async (request, reply) => {
    reply.headers(headers());
    // API answers carry presigned URLs, tickets and owner tokens: no cache may keep them.
    if (request.url.startsWith('/api/') || reply.statusCode >= 400) reply.header('cache-control', 'no-store');
  });

  app.setErrorHandler((error, request, reply) => {
    const apiError = error instanceof ApiError ? error : fromFrameworkError(error as Parameters<typeof fromFrameworkError>[0]);
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    if (apiError.retryAfterSeconds) reply.header('retry-after', apiError.retryAfterSeconds);
    return reply.status(apiError.status).type('application/json').send(errorBody(apiError));
  });

  const limits = await registerLimits(app, options.limits);

  // The path is not echoed: it may hold what a user pasted, a link secret's percent-encoded `#` included.
  app.setNotFoundHandler((_request, reply) => reply.status(404).send(errorBody(new ApiError('NotFound', 'No such route'))));

  app.get('/api/health', async () => ({ ok: true }));
  app.get('/api/config', async () => ({ openUploads: options.access.openUploads, abuseContact: options.access.abuseContact }) satisfies PublicConfigResponse);
  const chargeUpload = limits.chargeUpload;
  const requests = storage.requests ? { store: storage.requests, reservations: reservations(storage.requests) } : undefined;
  const sets = storage.sets ? { store: storage.sets, sets: setService(storage.sets, keyedMutex(), options.maxSetBlobs) } : undefined;
  await uploadRoutes(app, { storage, access: options.access, chargeUpload, requests, sets });
  await fileRoutes(app, { storage, access: options.access, presignExpiresSeconds: options.presignExpiresSeconds });
  if (requests) await requestRoutes(app, { store: requests.store, access: options.access, presignExpiresSeconds: options.presignExpiresSeconds, chargeUpload });
  if (sets) {
    const { presignExpiresSeconds } = options;
    await setRoutes(app, { ...sets, access: options.access, customerKeys: storage.customerKeys, presignExpiresSeconds, chargeUpload });
  }

  if (options.staticDir && existsSync(options.staticDir)) {
    await app.register(fastifyStatic, {
      root: options.staticDir,
      index: false,
      wildcard: false,
      setHeaders(res, filePath) {
        // A worker runs under the CSP of its own script's response, which an immutable cache would
        // keep for a year: worker scripts are revalidated so a changed policy (PART_CHECKSUM=md5
        // allows WebAssembly) reaches them. Revalidating is a 304 and costs no download.
        const immutable = filePath.includes('/assets/') && !/\.worker-[^/]*\.js$/.test(filePath);
        res.header('cache-control', immutable ? IMMUTABLE : 'no-cache');
      },
    });
    const page = (_request: FastifyRequest, reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html');
    app.get('/', page);
    app.get('/d/:id', { schema: { params: idParams } }, page);
    // File requests: the request link (senders) and the inbox link (its owner).
    app.get('/r/:id', { schema: { params: idParams } }, page);
    app.get('/i/:id', { schema: { params: idParams } }, page);
    // The page that makes a file request.
    app.get('/request', page);
    // A set's link (docs/SETS.md).
    app.get('/s/:id', { schema: { params: idParams } }, page);
  }

  return app;
}
