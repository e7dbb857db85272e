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
import { layoutPartSize, layoutProblem, type PartLayout } from '../../src/contract/layout.ts';
import { MAX_PARTS_PER_BATCH } from '../../src/contract/limits.ts';
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
import { ApiError } from '../errors.ts';
import { newFileId } from '../ids.ts';
import type { Storage } from '../storage.ts';
import { genuineTicket, issueTicket, readTicket, type TicketClaims } from '../tickets.ts';
import { type ScopeOptions, scopeClaims, uploadScopes } from '../upload-scopes.ts';

export type UploadRouteOptions = ScopeOptions;

type IdParams = { id: string };
/** What the authorization hook reads of any upload route's body. */
type AnyUploadBody = { requestId?: string; ticket?: string };

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

/**
 * The one way part URLs are signed, for the create answer's first batch and for /parts alike: each
 * for this upload's id and uploadId, bound to the part's exact byte count in the ticket's layout
 * and, with PART_CHECKSUM, to its digest (a header the PUT must send).
 */
function signParts(
  files: Storage,
  id: string,
  uploadId: string,
  layout: PartLayout,
  partNumbers: number[],
  checksums?: string[],
): Promise<PartUrlsResponse['urls']> {
  const algorithm = files.partChecksum;
  return Promise.all(
    partNumbers.map(async (partNumber, i) => {
      const checksum = checksums?.[i];
      const url = await files.presignPart(id, uploadId, partNumber, layoutPartSize(layout, partNumber), checksum);
      return algorithm && checksum ? { partNumber, url, headers: { [PART_CHECKSUM_HEADER[algorithm]]: checksum } } : { partNumber, url };
    }),
  );
}

/** Parts 1…min(partCount, MAX_PARTS_PER_BATCH): the batch a client would ask for first. */
const firstBatch = (partCount: number): number[] => Array.from({ length: Math.min(partCount, MAX_PARTS_PER_BATCH) }, (_, i) => i + 1);

/** Exactly parts 1…partCount, in order: S3 wants ascending order, and nothing may be added or left out. */
function checkPartList(parts: CompleteRequest['parts'], claims: TicketClaims): void {
  if (parts.length !== claims.partCount) throw new ApiError('InvalidParts', `This upload has ${claims.partCount} part(s); ${parts.length} were listed`);
  parts.forEach((part, i) => {
    if (part.partNumber !== i + 1)
      throw new ApiError('InvalidParts', `Parts must be numbered 1..${parts.length} in order; found ${part.partNumber} at position ${i + 1}`);
  });
}

export async function uploadRoutes(app: FastifyInstance, options: UploadRouteOptions): Promise<void> {
  const { access } = options;
  const secret = access.ownerSecret;
  /**
   * Every upload route needs a valid bearer token unless uploads are open, or unless the upload
   * goes to a file request: then the request's id (at create) or the ticket that names it is what
   * lets the sender in, and the request's limits and its creator's quota hold. A set's blob needs
   * the token like any upload (its uploader made the set with it), and the set's ticket besides.
   */
  const preValidation = async (request: FastifyRequest) => {
    if (!forRequest(request.body, (request.params as Partial<IdParams>).id)) checkUploadToken(access, request.headers.authorization);
  };
  /** Before validation (so a caller without a token learns nothing more): the body is still unknown. */
  const forRequest = (body: unknown, id: string | undefined): boolean => {
    if (typeof body !== 'object' || body === null) return false;
    const { requestId, ticket } = body as AnyUploadBody;
    if (typeof requestId === 'string') return true;
    if (typeof ticket !== 'string' || id === undefined) return false;
    try {
      return genuineTicket(secret, ticket, id).requestId !== undefined;
    } catch {
      return false;
    }
  };
  const scopes = uploadScopes(options);
  const { filesOf } = scopes;

  app.post<{ Body: CreateUploadRequest }>('/api/uploads', { schema: { body: createUploadBody }, preValidation }, async (request, reply) => {
    const { size, partCount, partSize, headerSize, metaSize } = request.body;
    const layout = { size, partCount, partSize, headerSize };
    const problem = layoutProblem(layout);
    if (problem) throw new ApiError('BadRequest', `Impossible part layout: ${problem}`);
    if (size > access.maxFileSize) throw new ApiError('PayloadTooLarge', 'File too large for this server');
    const scope = scopes.scopeOf(request.body);
    const id = newFileId();
    const { expiresAt, until } = await scopes.admit(request, request.body, scope, id);
    const files = filesOf(scope);
    const start = await files.createUpload(id, expiresAt);
    // A set's blob has no meta object: its set's manifest names it.
    const meta = metaSize > 0 ? await files.presignMetaPut(id, metaSize, expiresAt) : null;
    const { ticket, until: resumableUntil } = issueTicket(secret, { id, ...layout, metaSize, expiresAt, ...scope }, Date.now(), until);
    // URLs signed ahead come with the answer, so a file of up to one batch of parts needs no /parts
    // call. Not under SSE-C (the browser makes the uploadId), nor with checksums (each part is
    // signed once sealed, with its digest).
    const partUrls = 'uploadId' in start && files.partChecksum === null ? await signParts(files, id, start.uploadId, layout, firstBatch(partCount)) : null;
    const body: CreateUploadResponse = {
      id,
      ...('uploadId' in start ? { uploadId: start.uploadId } : { uploadId: null, create: { url: start.createUrl, headers: start.createHeaders } }),
      ticket,
      resumableUntil,
      customerKey: files.customerKeys,
      partChecksum: files.partChecksum,
      ...(meta ? { metaUrl: meta.url, metaHeaders: meta.headers } : {}),
      ...(partUrls ? { partUrls } : {}),
      expiresAt,
      ownerToken: ownerToken(access, id, scope),
    };
    return reply.status(201).send(body);
  });

  app.post<{ Params: IdParams; Body: UploadedRequest }>(
    '/api/uploads/:id/uploaded',
    { schema: { params: idParams, body: uploadedBody }, preValidation },
    async (request) => {
      const { id } = request.params;
      const claims = readTicket(secret, request.body.ticket, id);
      const parts = await filesOf(claims).listParts(id, request.body.uploadId);
      return { supported: parts !== null, parts: parts ?? [] } satisfies UploadedPartsResponse;
    },
  );

  app.post<{ Params: IdParams; Body: PartsRequest }>(
    '/api/uploads/:id/parts',
    { schema: { params: idParams, body: partsBody }, preValidation },
    async (request) => {
      const { id } = request.params;
      const { ticket, uploadId, partNumbers, checksums } = request.body;
      const claims = readTicket(secret, ticket, id);
      const outside = partNumbers.find((n) => n > claims.partCount);
      if (outside !== undefined) throw new ApiError('InvalidParts', `Part ${outside} is outside this upload's parts 1..${claims.partCount}`);
      const files = filesOf(claims);
      checkChecksums(files.partChecksum, partNumbers, checksums);
      return { urls: await signParts(files, id, uploadId, claims, partNumbers, checksums) } satisfies PartUrlsResponse;
    },
  );

  app.post<{ Params: IdParams; Body: CompleteRequest }>(
    '/api/uploads/:id/complete',
    { schema: { params: idParams, body: completeBody }, preValidation },
    async (request) => {
      const { id } = request.params;
      const { ticket, uploadId, parts } = request.body;
      const claims = readTicket(secret, ticket, id);
      checkPartList(parts, claims);
      const storage = filesOf(claims);
      await scopes.stillWanted(claims, id, claims.expiresAt).catch(async (error: unknown) => {
        // Not wanted any more: what the upload left goes now rather than at the next sweep.
        await storage.abort(id, uploadId).catch(() => false);
        await Promise.all([storage.remove(id, 'meta'), scopes.release(claims, id)]);
        throw error;
      });
      const [meta, data] = await Promise.all([claims.metaSize > 0 ? storage.stat(id, 'meta') : null, storage.stat(id, 'data')]);
      // Write once: a finished file is never completed (re-published) again.
      if (data !== null) throw new ApiError('AlreadyComplete', 'This upload is already complete');
      if (claims.metaSize > 0) {
        if (meta === null) throw new ApiError('BadRequest', 'Upload the meta object before completing');
        if (meta.size !== claims.metaSize) throw new ApiError('SizeMismatch', `The meta object has ${meta.size} bytes, not the ${claims.metaSize} declared`);
      }
      const listed = await storage.listParts(id, uploadId);
      if (listed !== null) {
        const sizes = new Map(listed.map((p) => [p.partNumber, p.size]));
        for (let n = 1; n <= claims.partCount; n++) {
          const expected = layoutPartSize(claims, n);
          if (sizes.get(n) !== expected) throw new ApiError('InvalidParts', `Part ${n} has ${sizes.get(n) ?? 'no'} bytes in the store, not ${expected}`);
        }
      }
      await storage.complete(id, uploadId, parts, meta ? meta.expiresAt : claims.expiresAt);
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
    { schema: { params: idParams, body: abortBody }, preValidation },
    async (request) => {
      const { id } = request.params;
      const { ownerToken, uploadId, ticket } = request.body;
      // Expired or not, the ticket says where the upload went; a request file's or a blob's token is bound to it.
      const scope = ticket === undefined ? {} : scopeClaims(genuineTicket(secret, ticket, id));
      checkOwnerToken(access, id, ownerToken, scope);
      const storage = filesOf(scope);
      const multipartAborted = await storage.abort(id, uploadId);
      // A finished file is deleted with POST /api/files/:id/delete (a request's by its owner only, a
      // set's blob with its set); aborting only clears what an unfinished upload left (its meta
      // object, its reservation or slot), so no data object is ever left without one.
      if ((await storage.stat(id, 'data')) === null) await Promise.all([storage.remove(id, 'meta'), scopes.release(scope, id)]);
      return { multipartAborted } satisfies AbortUploadResponse;
    },
  );
}
