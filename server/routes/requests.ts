/**
 * File request routes (docs/REQUESTS.md "API"). Anyone who may upload creates one; anyone with its
 * id reads what a sender needs; everything else needs the request's owner token as a bearer token,
 * checked before the request is even looked up (so a wrong token learns nothing about the id).
 * Files are sent with `POST /api/uploads` and a `requestId` (routes/uploads.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FileInfoResponse } from '../../src/contract/api.ts';
import {
  DEFAULT_REQUEST_EXPIRY_SECONDS,
  DEFAULT_REQUEST_FILES,
  MAX_CARD_SIZE,
  MAX_PUBLIC_KEY_SIZE,
  MAX_REQUEST_BYTES,
  MAX_SEALED_KEY_SIZE,
} from '../../src/contract/limits.ts';
import {
  type ClosedResponse,
  type CreateRequestBody,
  type CreateRequestResponse,
  createRequestBody,
  type DeletedResponse,
  type InboxResponse,
  type RequestInfoResponse,
  requestFileParams,
  requestParams,
} from '../../src/contract/requests.ts';
import { bearerToken, checkRequestOwner, checkUploadToken, requestOwnerToken } from '../access.ts';
import type { AccessSettings } from '../config.ts';
import { ApiError } from '../errors.ts';
import { newFileId } from '../ids.ts';
import { tokenQuotaKey } from '../limits.ts';
import type { RequestRecord, RequestStore } from '../request-store.ts';
import { checkPublicKey, decodeBase64url, held, received, requestState } from '../requests.ts';

export interface RequestRouteOptions {
  store: RequestStore;
  access: AccessSettings;
  presignExpiresSeconds: number;
  chargeUpload(request: FastifyRequest, amounts: { bytes: number; files: number }): Promise<void>;
}

type IdParams = { id: string };
type FileParams = { id: string; fileId: string };

export async function requestRoutes(app: FastifyInstance, options: RequestRouteOptions): Promise<void> {
  const { store, access, presignExpiresSeconds } = options;

  /** The owner's view of a live request: 401/403 on the token, then 404 unknown, 410 expired. */
  async function owned(request: FastifyRequest<{ Params: IdParams }>): Promise<RequestRecord> {
    const { id } = request.params;
    checkRequestOwner(access, id, request.headers.authorization);
    const record = await store.read(id);
    if (!record) throw new ApiError('RequestNotFound', 'No file request with this id (never made, deleted or expired)');
    if (record.expiresAt <= Date.now()) throw new ApiError('RequestExpired', 'This file request has expired; its files are being deleted');
    return record;
  }

  app.post<{ Body: CreateRequestBody }>('/api/requests', { schema: { body: createRequestBody } }, async (request, reply) => {
    checkUploadToken(access, request.headers.authorization);
    const body = request.body;
    const fingerprint = checkPublicKey(decodeBase64url(body.publicKey, MAX_PUBLIC_KEY_SIZE, 'publicKey'));
    decodeBase64url(body.sealedPrivateKey, MAX_SEALED_KEY_SIZE, 'sealedPrivateKey');
    decodeBase64url(body.card, MAX_CARD_SIZE, 'card');
    const token = bearerToken(request.headers.authorization);
    const now = Date.now();
    const record: RequestRecord = {
      v: 1,
      id: newFileId(),
      publicKey: body.publicKey,
      fingerprint,
      sealedPrivateKey: body.sealedPrivateKey,
      card: body.card,
      createdAt: now,
      expiresAt: now + (body.expiresInSeconds ?? DEFAULT_REQUEST_EXPIRY_SECONDS) * 1000,
      maxFiles: body.maxFiles ?? DEFAULT_REQUEST_FILES,
      maxBytes: body.maxBytes ?? MAX_REQUEST_BYTES,
      quotaKey: token && !access.openUploads ? tokenQuotaKey(token) : null,
    };
    // Quotas count a request as a file of its record's size.
    await options.chargeUpload(request, { bytes: JSON.stringify(record).length, files: 1 });
    await store.create(record);
    const { id, expiresAt, maxFiles, maxBytes } = record;
    const answer: CreateRequestResponse = { id, ownerToken: requestOwnerToken(access, id), expiresAt, fingerprint, maxFiles, maxBytes };
    return reply.status(201).send(answer);
  });

  app.get<{ Params: IdParams }>('/api/requests/:id', { schema: { params: requestParams } }, async (request) => {
    const record = await store.read(request.params.id);
    if (!record) throw new ApiError('RequestNotFound', 'No file request with this id (never made, deleted or expired)');
    const contents = await store.contents(record.id);
    const complete = received(contents);
    const taken = held(contents);
    const { publicKey, card, expiresAt, maxFiles, maxBytes } = record;
    return {
      publicKey,
      card,
      state: requestState(record, contents.closed),
      expiresAt,
      maxFiles,
      maxBytes,
      filesReceived: complete.length,
      bytesReceived: complete.reduce((n, f) => n + (f.data?.size ?? 0), 0),
      filesLeft: Math.max(0, maxFiles - taken.files),
      bytesLeft: Math.max(0, maxBytes - taken.bytes),
    } satisfies RequestInfoResponse;
  });

  app.get<{ Params: IdParams }>('/api/requests/:id/inbox', { schema: { params: requestParams } }, async (request) => {
    const record = await owned(request);
    const contents = await store.contents(record.id);
    const files = received(contents)
      .map((f) => ({ id: f.id, size: f.data?.size ?? 0, receivedAt: f.data?.modifiedAt ?? null }))
      .sort((a, b) => (a.receivedAt ?? 0) - (b.receivedAt ?? 0) || a.id.localeCompare(b.id));
    const { sealedPrivateKey, publicKey, card, expiresAt, maxFiles, maxBytes } = record;
    const state = requestState(record, contents.closed);
    return { sealedPrivateKey, publicKey, card, state, expiresAt, maxFiles, maxBytes, files } satisfies InboxResponse;
  });

  app.get<{ Params: FileParams }>('/api/requests/:id/files/:fileId', { schema: { params: requestFileParams } }, async (request) => {
    const record = await owned(request);
    const files = store.files(record.id);
    const { fileId } = request.params;
    const [data, meta] = await Promise.all([files.stat(fileId, 'data'), files.stat(fileId, 'meta')]);
    if (data === null || meta === null) throw new ApiError('NotFound', 'This request has no complete file with this id');
    const [dataUrl, metaUrl] = await Promise.all([files.presignGet(fileId, 'data'), files.presignGet(fileId, 'meta')]);
    return { size: data.size, expiresAt: record.expiresAt, dataUrl, metaUrl, customerKey: false, expiresIn: presignExpiresSeconds } satisfies FileInfoResponse;
  });

  app.post<{ Params: FileParams }>('/api/requests/:id/files/:fileId/delete', { schema: { params: requestFileParams } }, async (request) => {
    const record = await owned(request);
    const { fileId } = request.params;
    // A clear 404 for a file that is not this request's, rather than a "deleted" that did nothing.
    if (!(await store.contents(record.id)).files.some((f) => f.id === fileId)) throw new ApiError('NotFound', 'This request has no file with this id');
    await store.removeFile(record.id, fileId);
    return { deleted: true } satisfies DeletedResponse;
  });

  app.post<{ Params: IdParams }>('/api/requests/:id/close', { schema: { params: requestParams } }, async (request) => {
    const record = await owned(request);
    await store.close(record.id, record.expiresAt);
    return { closed: true } satisfies ClosedResponse;
  });

  // Works on an expired request too (the owner cleans up before the sweeper does), and twice.
  app.post<{ Params: IdParams }>('/api/requests/:id/delete', { schema: { params: requestParams } }, async (request) => {
    const { id } = request.params;
    checkRequestOwner(access, id, request.headers.authorization);
    await store.removeAll(id);
    return { deleted: true } satisfies DeletedResponse;
  });
}
