/** The download side: where a file's objects are (presigned GETs), and deleting with the owner token. */
import type { FastifyInstance } from 'fastify';
import type { FileInfoResponse } from '../../src/contract/api.ts';
import { type DeleteRequest, deleteBody, idParams } from '../../src/contract/schemas.ts';
import { checkOwnerToken } from '../access.ts';
import type { AccessSettings } from '../config.ts';
import { ApiError } from '../errors.ts';
import type { Storage } from '../storage.ts';

export interface FileRouteOptions {
  storage: Storage;
  access: AccessSettings;
  presignExpiresSeconds: number;
}

type IdParams = { id: string };

export async function fileRoutes(app: FastifyInstance, { storage, access, presignExpiresSeconds }: FileRouteOptions): Promise<void> {
  app.get<{ Params: IdParams }>('/api/files/:id', { schema: { params: idParams } }, async (request) => {
    const { id } = request.params;
    const [data, meta] = await Promise.all([storage.stat(id, 'data'), storage.stat(id, 'meta')]);
    if (data === null || meta === null) throw new ApiError('NotFound', 'No file with this id (never uploaded, unfinished or deleted)');
    const expiresAt = meta.expiresAt ?? data.expiresAt;
    if (expiresAt !== null && expiresAt <= Date.now()) throw new ApiError('Expired', 'This file has expired');
    const [dataUrl, metaUrl] = await Promise.all([storage.presignGet(id, 'data', data.customerKey), storage.presignGet(id, 'meta', meta.customerKey)]);
    const customerKey = data.customerKey;
    return { size: data.size, expiresAt, dataUrl, metaUrl, customerKey, expiresIn: presignExpiresSeconds } satisfies FileInfoResponse;
  });

  app.post<{ Params: IdParams; Body: DeleteRequest }>('/api/files/:id/delete', { schema: { params: idParams, body: deleteBody } }, async (request) => {
    const { id } = request.params;
    checkOwnerToken(access, id, request.body.ownerToken);
    await Promise.all([storage.remove(id, 'data'), storage.remove(id, 'meta')]);
    return { deleted: true };
  });
}
