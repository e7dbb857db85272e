/**
 * Set routes (docs/SETS.md "API"). Whoever may upload creates a set and gets its ticket (adds blobs,
 * PUTs the manifest, completes) and its owner token (deletes it). Anyone with the id reads a
 * complete set. Blobs are uploaded with `POST /api/uploads`, `setId` and `setTicket` (routes/uploads.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UNFINISHED_UPLOAD_SECONDS } from '../../src/contract/limits.ts';
import type { DeletedResponse } from '../../src/contract/requests.ts';
import {
  type CompleteSetRequest,
  type CompleteSetResponse,
  type CreateSetBody,
  type CreateSetResponse,
  completeSetBody,
  createSetBody,
  type DeleteSetRequest,
  deleteSetBody,
  type SetInfoResponse,
  type SetManifestRequest,
  type SetManifestUrlResponse,
  setManifestBody,
  setParams,
} from '../../src/contract/sets.ts';
import { bearerToken, checkSetOwner, checkUploadToken, setOwnerToken } from '../access.ts';
import type { AccessSettings } from '../config.ts';
import { ApiError } from '../errors.ts';
import { newFileId } from '../ids.ts';
import { tokenQuotaKey } from '../limits.ts';
import type { SetRecord, SetStore } from '../set-store.ts';
import { liveSet, openSet, type Sets } from '../sets.ts';
import { issueSetTicket, readSetTicket } from '../tickets.ts';

export interface SetRouteOptions {
  store: SetStore;
  sets: Sets;
  access: AccessSettings;
  /** SSE-C for new sets (the server's setting) */
  customerKeys: boolean;
  presignExpiresSeconds: number;
  chargeUpload(request: FastifyRequest, amounts: { bytes: number; files: number }): Promise<void>;
}

type IdParams = { id: string };

export async function setRoutes(app: FastifyInstance, options: SetRouteOptions): Promise<void> {
  const { store, sets, access, presignExpiresSeconds } = options;
  const secret = access.ownerSecret;

  app.post<{ Body: CreateSetBody }>('/api/sets', { schema: { body: createSetBody } }, async (request, reply) => {
    checkUploadToken(access, request.headers.authorization);
    const token = bearerToken(request.headers.authorization);
    const now = Date.now();
    const { expiresInSeconds } = request.body;
    const record: SetRecord = {
      v: 1,
      id: newFileId(),
      createdAt: now,
      expiresAt: expiresInSeconds === undefined ? null : now + expiresInSeconds * 1000,
      until: now + UNFINISHED_UPLOAD_SECONDS * 1000,
      quotaKey: token && !access.openUploads ? tokenQuotaKey(token) : null,
      customerKey: options.customerKeys,
    };
    // Quotas count a set as a file of its record's size; its blobs count their bytes.
    await options.chargeUpload(request, { bytes: JSON.stringify(record).length, files: 1 });
    await store.create(record);
    const { id, expiresAt, until } = record;
    const answer: CreateSetResponse = {
      id,
      ownerToken: setOwnerToken(access, id),
      ticket: issueSetTicket(secret, id, until),
      expiresAt,
      resumableUntil: until,
    };
    return reply.status(201).send(answer);
  });

  app.post<{ Params: IdParams; Body: SetManifestRequest }>(
    '/api/sets/:id/manifest',
    { schema: { params: setParams, body: setManifestBody } },
    async (request) => {
      const { id } = request.params;
      readSetTicket(secret, request.body.ticket, id);
      const record = await openSet(store, id);
      return (await store.presignManifestPut(id, request.body.size, record.expiresAt)) satisfies SetManifestUrlResponse;
    },
  );

  app.post<{ Params: IdParams; Body: CompleteSetRequest }>(
    '/api/sets/:id/complete',
    { schema: { params: setParams, body: completeSetBody } },
    async (request) => {
      const { id } = request.params;
      readSetTicket(secret, request.body.ticket, id);
      const record = await liveSet(store, id);
      await sets.complete(record, request.body.blobs);
      return { id, expiresAt: record.expiresAt } satisfies CompleteSetResponse;
    },
  );

  app.get<{ Params: IdParams }>('/api/sets/:id', { schema: { params: setParams } }, async (request) => {
    const { id } = request.params;
    const record = await liveSet(store, id);
    const [completion, manifest] = await Promise.all([store.completion(id), store.manifest(id)]);
    // An unfinished set is no set yet to its recipients.
    if (!completion || !manifest) throw new ApiError('SetNotFound', 'No set with this id (never finished, deleted or expired)');
    const blobStore = store.blobs(id);
    const customerKey = record.customerKey;
    const [manifestUrl, ...urls] = await Promise.all([
      store.presignManifestGet(id, customerKey),
      ...completion.blobs.map((b) => blobStore.presignGet(b.id, 'data', customerKey)),
    ]);
    return {
      expiresAt: record.expiresAt,
      customerKey,
      expiresIn: presignExpiresSeconds,
      manifest: { url: manifestUrl, size: manifest.size },
      blobs: completion.blobs.map((b, i) => ({ id: b.id, size: b.size, url: urls[i] })),
    } satisfies SetInfoResponse;
  });

  // The whole set, unfinished or expired too, and twice: the owner token is checked before anything is looked up.
  app.post<{ Params: IdParams; Body: DeleteSetRequest }>('/api/sets/:id/delete', { schema: { params: setParams, body: deleteSetBody } }, async (request) => {
    const { id } = request.params;
    checkSetOwner(access, id, request.body.ownerToken);
    await store.removeAll(id);
    return { deleted: true } satisfies DeletedResponse;
  });
}
