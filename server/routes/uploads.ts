/**
 * The upload routes. Creating an upload fixes its part layout, meta size and expiry in a signed
 * ticket (tickets.ts); every later call shows the ticket, so the server signs only part numbers
 * 1…partCount, each bound to its exact byte count, and completes only what adds up to the
 * declared size. Aborting needs the owner token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type AbortUploadResponse,
  type CreateUploadResponse,
  PART_CHECKSUM_HEADER,
  PART_CHECKSUM_PATTERN,
  type PartChecksum,
  type PartUrlsResponse,
  type UploadedPartsResponse,
} from '../../src/contract/api.ts';
import { layoutPartSize, layoutProblem } from '../../src/contract/layout.ts';
import {
  type AbortRequest,
  abortBody,
  type CompleteRequest,
  type CreateUploadRequest,
  completeBody,
  createUploadBody,
  idParams,
  type PartsRequest,
  partsBody,
  type UploadedRequest,
  uploadedBody,
} from '../../src/contract/schemas.ts';
import { checkOwnerToken, checkUploadToken, ownerToken } from '../access.ts';
import type { AccessSettings } from '../config.ts';
import { ApiError } from '../errors.ts';
import { newFileId } from '../ids.ts';
import type { Storage } from '../storage.ts';
import { issueTicket, readTicket, type TicketClaims } from '../tickets.ts';

export interface UploadRouteOptions {
  storage: Storage;
  access: AccessSettings;
  /** counts a new upload against the caller's quotas; throws when over */
  chargeUpload(request: FastifyRequest, amounts: { bytes: number; files: number }): Promise<void>;
}

type IdParams = { id: string };

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

/** Exactly parts 1…partCount, in order: S3 wants ascending order, and nothing may be added or left out. */
function checkPartList(parts: CompleteRequest['parts'], claims: TicketClaims): void {
  if (parts.length !== claims.partCount) throw new ApiError('InvalidParts', `This upload has ${claims.partCount} part(s); ${parts.length} were listed`);
  parts.forEach((part, i) => {
    if (part.partNumber !== i + 1)
      throw new ApiError('InvalidParts', `Parts must be numbered 1..${parts.length} in order; found ${part.partNumber} at position ${i + 1}`);
  });
}

export async function uploadRoutes(app: FastifyInstance, options: UploadRouteOptions): Promise<void> {
  const { storage, access } = options;
  const secret = access.ownerSecret;
  /** Every upload route needs a valid bearer token unless uploads are open. */
  const onRequest = async (request: FastifyRequest) => checkUploadToken(access, request.headers.authorization);

  app.post<{ Body: CreateUploadRequest }>('/api/uploads', { schema: { body: createUploadBody }, onRequest }, async (request, reply) => {
    const { size, partCount, partSize, headerSize, metaSize, expiresInSeconds } = request.body;
    const layout = { size, partCount, partSize, headerSize };
    const problem = layoutProblem(layout);
    if (problem) throw new ApiError('BadRequest', `Impossible part layout: ${problem}`);
    if (size > access.maxFileSize) throw new ApiError('PayloadTooLarge', 'File too large for this server');
    await options.chargeUpload(request, { bytes: size + metaSize, files: 1 });
    const id = newFileId();
    const expiresAt = expiresInSeconds === undefined ? null : Date.now() + expiresInSeconds * 1000;
    const start = await storage.createUpload(id, expiresAt);
    const meta = await storage.presignMetaPut(id, metaSize, expiresAt);
    const { ticket, until } = issueTicket(secret, { id, ...layout, metaSize, expiresAt });
    const body: CreateUploadResponse = {
      id,
      ...('uploadId' in start ? { uploadId: start.uploadId } : { uploadId: null, create: { url: start.createUrl, headers: start.createHeaders } }),
      ticket,
      resumableUntil: until,
      customerKey: storage.customerKeys,
      partChecksum: storage.partChecksum,
      metaUrl: meta.url,
      metaHeaders: meta.headers,
      expiresAt,
      ownerToken: ownerToken(access, id),
    };
    return reply.status(201).send(body);
  });

  app.post<{ Params: IdParams; Body: UploadedRequest }>(
    '/api/uploads/:id/uploaded',
    { schema: { params: idParams, body: uploadedBody }, onRequest },
    async (request) => {
      const { id } = request.params;
      readTicket(secret, request.body.ticket, id);
      const parts = await storage.listParts(id, request.body.uploadId);
      return { supported: parts !== null, parts: parts ?? [] } satisfies UploadedPartsResponse;
    },
  );

  app.post<{ Params: IdParams; Body: PartsRequest }>(
    '/api/uploads/:id/parts',
    { schema: { params: idParams, body: partsBody }, onRequest },
    async (request) => {
      const { id } = request.params;
      const { ticket, uploadId, partNumbers, checksums } = request.body;
      const claims = readTicket(secret, ticket, id);
      const outside = partNumbers.find((n) => n > claims.partCount);
      if (outside !== undefined) throw new ApiError('InvalidParts', `Part ${outside} is outside this upload's parts 1..${claims.partCount}`);
      const algorithm = storage.partChecksum;
      checkChecksums(algorithm, partNumbers, checksums);
      const urls = await Promise.all(
        partNumbers.map(async (partNumber, i) => {
          const checksum = checksums?.[i];
          const url = await storage.presignPart(id, uploadId, partNumber, layoutPartSize(claims, partNumber), checksum);
          return algorithm && checksum ? { partNumber, url, headers: { [PART_CHECKSUM_HEADER[algorithm]]: checksum } } : { partNumber, url };
        }),
      );
      return { urls } satisfies PartUrlsResponse;
    },
  );

  app.post<{ Params: IdParams; Body: CompleteRequest }>(
    '/api/uploads/:id/complete',
    { schema: { params: idParams, body: completeBody }, onRequest },
    async (request) => {
      const { id } = request.params;
      const { ticket, uploadId, parts } = request.body;
      const claims = readTicket(secret, ticket, id);
      checkPartList(parts, claims);
      const [meta, data] = await Promise.all([storage.stat(id, 'meta'), storage.stat(id, 'data')]);
      // Write once: a finished file is never completed (re-published) again.
      if (data !== null) throw new ApiError('AlreadyComplete', 'This upload is already complete');
      if (meta === null) throw new ApiError('BadRequest', 'Upload the meta object before completing');
      if (meta.size !== claims.metaSize) throw new ApiError('SizeMismatch', `The meta object has ${meta.size} bytes, not the ${claims.metaSize} declared`);
      const listed = await storage.listParts(id, uploadId);
      if (listed !== null) {
        const sizes = new Map(listed.map((p) => [p.partNumber, p.size]));
        for (let n = 1; n <= claims.partCount; n++) {
          const expected = layoutPartSize(claims, n);
          if (sizes.get(n) !== expected) throw new ApiError('InvalidParts', `Part ${n} has ${sizes.get(n) ?? 'no'} bytes in the store, not ${expected}`);
        }
      }
      await storage.complete(id, uploadId, parts, meta.expiresAt);
      // Where the store could not list parts, the finished object is checked instead, and removed if wrong.
      const done = await storage.stat(id, 'data');
      if (done?.size !== claims.size) {
        await Promise.all([storage.remove(id, 'data'), storage.remove(id, 'meta')]);
        throw new ApiError('SizeMismatch', `The stored file has ${done?.size ?? 'no'} bytes, not the ${claims.size} declared; it was removed`);
      }
      return { id };
    },
  );

  app.post<{ Params: IdParams; Body: AbortRequest }>(
    '/api/uploads/:id/abort',
    { schema: { params: idParams, body: abortBody }, onRequest },
    async (request) => {
      const { id } = request.params;
      checkOwnerToken(access, id, request.body.ownerToken);
      const multipartAborted = await storage.abort(id, request.body.uploadId);
      // A finished file is deleted with POST /api/files/:id/delete; aborting only clears what an
      // unfinished upload left (its meta object), so no data object is ever left without one.
      if ((await storage.stat(id, 'data')) === null) await storage.remove(id, 'meta');
      return { multipartAborted } satisfies AbortUploadResponse;
    },
  );
}
