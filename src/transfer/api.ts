/**
 * The presign API client, as a value: `createApi({ base, token })`. The page, the CLI, the tests and
 * the bench each make their own; a worker makes one from the same plain data (`api.endpoint`), so
 * it can sign a part again itself. Errors come back as TransferError with the API's own code.
 */
import type {
  AbortUploadResponse,
  ApiErrorResponse,
  CreateUploadResponse,
  FileInfoResponse,
  PartUrlsResponse,
  PublicConfigResponse,
  UploadedPartsResponse,
} from '../contract/api.ts';
import type {
  ClosedResponse,
  CreateRequestBody,
  CreateRequestResponse,
  DeletedResponse,
  InboxResponse,
  RequestFileResponse,
  RequestInfoResponse,
} from '../contract/requests.ts';
import type { CreateUploadRequest } from '../contract/schemas.ts';
import type {
  CompleteSetRequest,
  CompleteSetResponse,
  CreateSetBody,
  CreateSetResponse,
  SetInfoResponse,
  SetManifestRequest,
  SetManifestUrlResponse,
} from '../contract/sets.ts';
import { TransferError } from '../errors.ts';
import { request } from './http.ts';
import { withRetries } from './retry.ts';

/** Where the API is and how to reach it: plain data, so it can be posted to a worker. */
export interface ApiEndpoint {
  /** the server's origin (the page's own in a browser) */
  base: string;
  /** a bearer token for servers that do not allow open uploads (sent on upload routes and when creating a request) */
  token?: string;
}

/**
 * API calls ride out a restarting or briefly overloaded server (network errors, 429, 502–504)
 * with the shared backoff; ten attempts wait up to about half a minute in all.
 */
export const API_ATTEMPTS = 10;

/** An unfinished upload as the API knows it: its ticket proves it is ours; aborting needs the owner token. */
export interface UploadRef {
  id: string;
  ticket: string;
  uploadId: string;
  ownerToken: string;
}

/**
 * Errors are TransferErrors as on every route; a file request's own refusals carry their apiCode
 * (contract/requests.ts RequestErrorCode): RequestNotFound (404), RequestClosed and RequestExpired
 * (410), RequestFull (413), BadPublicKey (400). A wrong or missing owner token is 403/401 `Api`.
 */
export type { RequestErrorCode } from '../contract/requests.ts';
/**
 * A set's refusals (contract/sets.ts SetErrorCode): SetIncomplete (409), SetFull (413), and on the
 * upload and manifest routes SetNotFound (404), SetExpired (410). `setInfo` throws these two as the
 * kinds `NotFound` and `Expired` (apiCode kept), as `fileInfo` does, since both mean the link is dead.
 */
export type { SetErrorCode } from '../contract/sets.ts';

/** What signing a part needs: no owner token (which only aborts), so it can go to a worker. */
export type PartsRef = Pick<UploadRef, 'id' | 'ticket' | 'uploadId'>;

const noResign = async () => {
  throw new TransferError('Api', 'The server refused the request', 403);
};

export function createApi({ base: origin, token }: ApiEndpoint) {
  const base = origin.replace(/\/+$/, '');

  /** `bearer`: a request's owner token, sent instead of the upload token (owner routes) */
  const call = <T>(method: string, path: string, body: unknown, signal?: AbortSignal, bearer?: string): Promise<T> =>
    withRetries(() => callOnce<T>(method, path, body, signal, bearer), noResign, signal, { maxAttempts: API_ATTEMPTS });

  async function callOnce<T>(method: string, path: string, body: unknown, signal?: AbortSignal, bearer?: string): Promise<T> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const uploadRoute = path.startsWith('/api/uploads') || (method === 'POST' && (path === '/api/requests' || path === '/api/sets'));
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    else if (token && uploadRoute) headers.authorization = `Bearer ${token}`;
    const init: RequestInit = { method, signal, headers, body: body === undefined ? undefined : JSON.stringify(body) };
    const response = await request(`${base}${path}`, init);
    if (response.ok) return (await response.json()) as T;
    const data = (await response.json().catch(() => null)) as ApiErrorResponse | null;
    const code = data?.error?.code ?? 'Unknown';
    const message = data?.error?.message ?? `HTTP ${response.status}`;
    const kind = response.status === 404 && code === 'NotFound' ? 'NotFound' : response.status === 410 && code === 'Expired' ? 'Expired' : 'Api';
    throw new TransferError(kind, message, response.status, { apiCode: code });
  }

  /** A retried Complete whose first attempt did finish the upload is answered 409 AlreadyComplete. */
  async function complete(upload: UploadRef, parts: { partNumber: number; etag: string }[], signal?: AbortSignal): Promise<void> {
    try {
      await call<{ id: string }>('POST', `/api/uploads/${upload.id}/complete`, { ticket: upload.ticket, uploadId: upload.uploadId, parts }, signal);
    } catch (error) {
      if (!(error instanceof TransferError && error.apiCode === 'AlreadyComplete')) throw error;
    }
  }

  return {
    endpoint: { base, token } satisfies ApiEndpoint,
    /** `body.requestId`: send the file to that file request (its expiry applies: leave expiresInSeconds out) */
    createUpload: (body: CreateUploadRequest, signal?: AbortSignal) => call<CreateUploadResponse>('POST', '/api/uploads', body, signal),
    /** `checksums`: one base64 digest per part, when the server signs them (CreateUploadResponse.partChecksum) */
    partUrls: ({ id, ticket, uploadId }: PartsRef, partNumbers: number[], signal?: AbortSignal, checksums?: string[]) =>
      call<PartUrlsResponse>('POST', `/api/uploads/${id}/parts`, { ticket, uploadId, partNumbers, checksums }, signal),
    complete,
    /** What the store already holds of an unfinished upload (resume). */
    uploadedParts: ({ id, ticket, uploadId }: PartsRef, signal?: AbortSignal) =>
      call<UploadedPartsResponse>('POST', `/api/uploads/${id}/uploaded`, { ticket, uploadId }, signal),
    /** The ticket goes along: it says which file request (if any) the upload belongs to. */
    abort: ({ id, ownerToken, uploadId, ticket }: UploadRef) => call<AbortUploadResponse>('POST', `/api/uploads/${id}/abort`, { ownerToken, uploadId, ticket }),
    fileInfo: (id: string, signal?: AbortSignal) => call<FileInfoResponse>('GET', `/api/files/${id}`, undefined, signal),
    config: () => call<PublicConfigResponse>('GET', '/api/config', undefined),
    /** The uploader deletes early with the owner token it got when the upload was created. */
    deleteFile: (id: string, ownerToken: string) => call<{ deleted: boolean }>('POST', `/api/files/${id}/delete`, { ownerToken }),
    ...requestMethods(call),
    ...setMethods(call),
  };
}

type Call = <T>(method: string, path: string, body: unknown, signal?: AbortSignal, bearer?: string) => Promise<T>;

/** File requests (docs/REQUESTS.md): `ownerToken` is the request's, from the inbox link. */
function requestMethods(call: Call) {
  const owner = <T>(method: string, path: string, ownerToken: string, signal?: AbortSignal) =>
    call<T>(method, path, method === 'POST' ? {} : undefined, signal, ownerToken);
  return {
    /** Needs the upload token where uploads do; quotas count it as a file. */
    createRequest: (body: CreateRequestBody, signal?: AbortSignal) => call<CreateRequestResponse>('POST', '/api/requests', body, signal),
    /** Anyone with the id; answered in every state (`state`), a swept or unknown request is RequestNotFound. */
    getRequest: (id: string, signal?: AbortSignal) => call<RequestInfoResponse>('GET', `/api/requests/${id}`, undefined, signal),
    inbox: (id: string, ownerToken: string, signal?: AbortSignal) => owner<InboxResponse>('GET', `/api/requests/${id}/inbox`, ownerToken, signal),
    requestFile: (id: string, fileId: string, ownerToken: string, signal?: AbortSignal) =>
      owner<RequestFileResponse>('GET', `/api/requests/${id}/files/${fileId}`, ownerToken, signal),
    deleteRequestFile: (id: string, fileId: string, ownerToken: string, signal?: AbortSignal) =>
      owner<DeletedResponse>('POST', `/api/requests/${id}/files/${fileId}/delete`, ownerToken, signal),
    closeRequest: (id: string, ownerToken: string, signal?: AbortSignal) => owner<ClosedResponse>('POST', `/api/requests/${id}/close`, ownerToken, signal),
    deleteRequest: (id: string, ownerToken: string, signal?: AbortSignal) => owner<DeletedResponse>('POST', `/api/requests/${id}/delete`, ownerToken, signal),
  };
}

/** Sets (docs/SETS.md): the set's `ticket` and `ownerToken` come from createSet. */
function setMethods(call: Call) {
  /** The link is dead either way: the same kinds as a file's, the set's code kept. */
  const deadLink = (error: unknown): never => {
    if (error instanceof TransferError && (error.apiCode === 'SetNotFound' || error.apiCode === 'SetExpired')) {
      const kind = error.apiCode === 'SetNotFound' ? 'NotFound' : 'Expired';
      throw new TransferError(kind, error.message, error.status, { apiCode: error.apiCode });
    }
    throw error;
  };
  return {
    /** Needs the upload token where uploads do; quotas count it as a file. Blobs: createUpload with setId + setTicket. */
    createSet: (body: CreateSetBody, signal?: AbortSignal) => call<CreateSetResponse>('POST', '/api/sets', body, signal),
    /** A presigned PUT of exactly `size` bytes; may be asked again (the manifest is overwritable until the set is complete). */
    setManifestUrl: (id: string, body: SetManifestRequest, signal?: AbortSignal) =>
      call<SetManifestUrlResponse>('POST', `/api/sets/${id}/manifest`, body, signal),
    /** Idempotent: a retry of a complete that went through answers the same. */
    completeSet: (id: string, body: CompleteSetRequest, signal?: AbortSignal) => call<CompleteSetResponse>('POST', `/api/sets/${id}/complete`, body, signal),
    /** Complete sets only. */
    setInfo: (id: string, signal?: AbortSignal) => call<SetInfoResponse>('GET', `/api/sets/${id}`, undefined, signal).catch(deadLink),
    /** The whole set, unfinished too; answered `{deleted: true}` also when it is already gone. */
    deleteSet: (id: string, ownerToken: string, signal?: AbortSignal) => call<DeletedResponse>('POST', `/api/sets/${id}/delete`, { ownerToken }, signal),
  };
}

export type Api = ReturnType<typeof createApi>;
/** The one call a part's sender needs: sign it (again). */
export type PartSigner = Pick<Api, 'partUrls'>;
