/** The presign API client. Errors come back as TransferError with the API's own code. */
import type { AbortUploadResponse, ApiErrorResponse, CreateUploadResponse, FileInfoResponse, PartUrlsResponse } from '../api-types.ts';
import { TransferError } from '../errors.ts';
import { request } from './http.ts';

async function call<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const init: RequestInit = {
    method,
    signal,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
  const response = await request(path, init);
  if (response.ok) return (await response.json()) as T;
  const data = (await response.json().catch(() => null)) as ApiErrorResponse | null;
  const code = data?.error?.code ?? 'Unknown';
  const message = data?.error?.message ?? `HTTP ${response.status}`;
  throw new TransferError(response.status === 404 && code === 'NotFound' ? 'NotFound' : 'Api', message, response.status, code);
}

export const api = {
  createUpload: (size: number, partCount: number, signal?: AbortSignal) => call<CreateUploadResponse>('POST', '/api/uploads', { size, partCount }, signal),
  partUrls: (id: string, uploadId: string, partNumbers: number[], signal?: AbortSignal) =>
    call<PartUrlsResponse>('POST', `/api/uploads/${id}/parts`, { uploadId, partNumbers }, signal),
  complete: (id: string, uploadId: string, parts: { partNumber: number; etag: string }[], signal?: AbortSignal) =>
    call<{ id: string }>('POST', `/api/uploads/${id}/complete`, { uploadId, parts }, signal),
  abort: (id: string, uploadId: string) => call<AbortUploadResponse>('POST', `/api/uploads/${id}/abort`, { uploadId }),
  fileInfo: (id: string, signal?: AbortSignal) => call<FileInfoResponse>('GET', `/api/files/${id}`, undefined, signal),
};

export type Api = typeof api;
