/**
 * Builds the presign server: the JSON API and the built page. Never listens (main.ts does),
 * so tests drive it with `app.inject`.
 */
import { existsSync } from 'node:fs';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import {
  type AbortUploadResponse,
  type CreateUploadResponse,
  type FileInfoResponse,
  PART_CHECKSUM_HEADER,
  PART_CHECKSUM_PATTERN,
  type PartChecksum,
  type PartUrlsResponse,
  type PublicConfigResponse,
  type UploadedPartsResponse,
} from '../src/api-types.ts';
import { checkOwnerToken, checkUploadToken, ownerToken } from './access.ts';
import type { AccessSettings } from './config.ts';
import { ApiError, errorBody, fromFrameworkError } from './errors.ts';
import { securityHeaders } from './headers.ts';
import { newFileId } from './ids.ts';
import {
  type AbortRequest,
  abortBody,
  type CompleteRequest,
  type CreateUploadRequest,
  completeBody,
  createUploadBody,
  type DeleteRequest,
  deleteBody,
  idParams,
  MAX_OBJECT_SIZE,
  MIN_PART_SIZE,
  type PartsRequest,
  partsBody,
} from './schemas.ts';
import type { Storage } from './storage.ts';

export interface AppOptions {
  storage: Storage;
  access: AccessSettings;
  presignExpiresSeconds: number;
  /** The built page (vite build output); omitted in API-only tests. */
  staticDir?: string;
  logger?: FastifyServerOptions['logger'];
}

/** The largest JSON body: a Complete with 10 000 parts is ~600 KB. */
const BODY_LIMIT = 1024 * 1024;
/** Vite's hashed asset names never change content, so they may be cached forever. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

type IdParams = { id: string };

function checkPartList(parts: CompleteRequest['parts']): void {
  // Contiguous 1..N: s3rver crashes on a part that was never uploaded, and S3 wants ascending order.
  parts.forEach((part, i) => {
    if (part.partNumber !== i + 1)
      throw new ApiError('InvalidParts', `Parts must be numbered 1..${parts.length} in order; found ${part.partNumber} at position ${i + 1}`);
  });
}

/** With PART_CHECKSUM on, every part is signed with its digest; without it, none may be. */
function checkChecksums(algorithm: PartChecksum | null, partNumbers: number[], checksums: string[] | undefined): void {
  if (!algorithm) {
    if (checksums) throw new ApiError('BadChecksum', 'This server does not sign part checksums (PART_CHECKSUM=none)');
    return;
  }
  if (!checksums) throw new ApiError('BadChecksum', `Each part must be signed with its ${algorithm} checksum`);
  if (checksums.length !== partNumbers.length) throw new ApiError('BadChecksum', 'Give one checksum per part number');
  const bad = checksums.findIndex((c) => !PART_CHECKSUM_PATTERN[algorithm].test(c));
  if (bad >= 0) throw new ApiError('BadChecksum', `Checksum ${bad + 1} is not a base64 ${algorithm} digest`);
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { storage } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
    // Strict schemas: no type coercion, and unknown fields are refused rather than silently dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  // hash-wasm computes MD5 in WebAssembly, which the CSP must then allow (and only then).
  const headers = () => securityHeaders(storage.publicOrigin, { wasm: storage.partChecksum === 'md5' });
  // The API speaks JSON only; any other body type is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain');

  app.addHook('onSend', async (_request, reply) => {
    reply.headers(headers());
  });

  app.setErrorHandler((error, request, reply) => {
    const apiError = error instanceof ApiError ? error : fromFrameworkError(error as Parameters<typeof fromFrameworkError>[0]);
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(apiError.status).type('application/json').send(errorBody(apiError));
  });

  await app.register(rateLimit, {
    max: options.access.rateLimitPerMinute,
    timeWindow: '1 minute',
    errorResponseBuilder: (_request, context) =>
      Object.assign(new ApiError('RateLimited', `Too many requests: at most ${context.max} a minute`), { statusCode: 429 }),
  });

  /** Every upload route needs a valid bearer token unless uploads are open. */
  const uploadAuth = async (request: FastifyRequest) => checkUploadToken(options.access, request.headers.authorization);

  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError('NotFound', `No route for ${request.method} ${request.url.split('?')[0]}`);
    return reply.status(404).send(errorBody(error));
  });

  app.get('/api/health', async () => ({ ok: true }));

  app.get('/api/config', async () => ({ openUploads: options.access.openUploads, abuseContact: options.access.abuseContact }) satisfies PublicConfigResponse);

  app.post<{ Body: CreateUploadRequest }>('/api/uploads', { schema: { body: createUploadBody }, onRequest: uploadAuth }, async (request, reply) => {
    const { size, partCount, expiresInSeconds } = request.body;
    if (size < (partCount - 1) * MIN_PART_SIZE) throw new ApiError('BadRequest', `Every part but the last must be at least ${MIN_PART_SIZE} bytes`);
    if (size > Math.min(MAX_OBJECT_SIZE, options.access.maxFileSize)) throw new ApiError('PayloadTooLarge', 'File too large for this server');
    const id = newFileId();
    const expiresAt = expiresInSeconds === undefined ? null : Date.now() + expiresInSeconds * 1000;
    const start = await storage.createUpload(id, expiresAt);
    const meta = await storage.presignPut(id, 'meta', expiresAt);
    const body: CreateUploadResponse = {
      id,
      ...('uploadId' in start ? { uploadId: start.uploadId } : { uploadId: null, create: { url: start.createUrl, headers: start.createHeaders } }),
      customerKey: storage.customerKeys,
      partChecksum: storage.partChecksum,
      metaUrl: meta.url,
      metaHeaders: meta.headers,
      expiresAt,
      ownerToken: ownerToken(options.access, id),
    };
    return reply.status(201).send(body);
  });

  app.post<{ Params: IdParams; Body: AbortRequest }>(
    '/api/uploads/:id/uploaded',
    { schema: { params: idParams, body: abortBody }, onRequest: uploadAuth },
    async (request) => {
      const parts = await storage.listParts(request.params.id, request.body.uploadId);
      return { supported: parts !== null, parts: parts ?? [] } satisfies UploadedPartsResponse;
    },
  );

  app.post<{ Params: IdParams; Body: PartsRequest }>(
    '/api/uploads/:id/parts',
    { schema: { params: idParams, body: partsBody }, onRequest: uploadAuth },
    async (request) => {
      const { id } = request.params;
      const { uploadId, partNumbers, checksums } = request.body;
      const algorithm = storage.partChecksum;
      checkChecksums(algorithm, partNumbers, checksums);
      const urls = await Promise.all(
        partNumbers.map(async (partNumber, i) => {
          const checksum = checksums?.[i];
          const url = await storage.presignPart(id, uploadId, partNumber, checksum);
          return algorithm && checksum ? { partNumber, url, headers: { [PART_CHECKSUM_HEADER[algorithm]]: checksum } } : { partNumber, url };
        }),
      );
      return { urls } satisfies PartUrlsResponse;
    },
  );

  app.post<{ Params: IdParams; Body: CompleteRequest }>(
    '/api/uploads/:id/complete',
    { schema: { params: idParams, body: completeBody }, onRequest: uploadAuth },
    async (request) => {
      const { id } = request.params;
      checkPartList(request.body.parts);
      const meta = await storage.stat(id, 'meta');
      if (meta === null) throw new ApiError('BadRequest', 'Upload the meta object before completing');
      await storage.complete(id, request.body.uploadId, request.body.parts, meta.expiresAt);
      return { id };
    },
  );

  app.post<{ Params: IdParams; Body: AbortRequest }>(
    '/api/uploads/:id/abort',
    { schema: { params: idParams, body: abortBody }, onRequest: uploadAuth },
    async (request) => {
      const { id } = request.params;
      const multipartAborted = await storage.abort(id, request.body.uploadId);
      await storage.remove(id, 'meta');
      return { multipartAborted } satisfies AbortUploadResponse;
    },
  );

  app.get<{ Params: IdParams }>('/api/files/:id', { schema: { params: idParams } }, async (request) => {
    const { id } = request.params;
    const [data, meta] = await Promise.all([storage.stat(id, 'data'), storage.stat(id, 'meta')]);
    if (data === null || meta === null) throw new ApiError('NotFound', 'No file with this id (never uploaded, unfinished or deleted)');
    const expiresAt = meta.expiresAt ?? data.expiresAt;
    if (expiresAt !== null && expiresAt <= Date.now()) throw new ApiError('Expired', 'This file has expired');
    const [dataUrl, metaUrl] = await Promise.all([storage.presignGet(id, 'data', data.customerKey), storage.presignGet(id, 'meta', meta.customerKey)]);
    const customerKey = data.customerKey;
    return { size: data.size, expiresAt, dataUrl, metaUrl, customerKey, expiresIn: options.presignExpiresSeconds } satisfies FileInfoResponse;
  });

  app.post<{ Params: IdParams; Body: DeleteRequest }>('/api/files/:id/delete', { schema: { params: idParams, body: deleteBody } }, async (request) => {
    const { id } = request.params;
    checkOwnerToken(options.access, id, request.body.ownerToken);
    await Promise.all([storage.remove(id, 'data'), storage.remove(id, 'meta')]);
    return { deleted: true };
  });

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
  }

  return app;
}
