/** API errors: a stable code each, mapped to an HTTP status here and nowhere else. */
export type ApiErrorCode =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'RateLimited'
  | 'QuotaExceeded'
  | 'QuotaUnavailable'
  | 'NotFound'
  | 'Expired'
  | 'UploadNotFound'
  | 'InvalidParts'
  | 'BadChecksum'
  | 'AlreadyComplete'
  | 'SizeMismatch'
  | 'MisdirectedRequest'
  | 'UriTooLong'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  | 'StorageUnavailable'
  | 'Internal'
  // File requests (docs/REQUESTS.md)
  | 'RequestNotFound'
  | 'RequestClosed'
  | 'RequestExpired'
  | 'RequestFull'
  | 'BadPublicKey'
  // Sets (docs/SETS.md)
  | 'SetNotFound'
  | 'SetExpired'
  | 'SetIncomplete'
  | 'SetFull';

const STATUS: Record<ApiErrorCode, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  RateLimited: 429,
  QuotaExceeded: 429,
  QuotaUnavailable: 503,
  NotFound: 404,
  Expired: 410,
  UploadNotFound: 404,
  InvalidParts: 400,
  BadChecksum: 400,
  AlreadyComplete: 409,
  SizeMismatch: 400,
  MisdirectedRequest: 421,
  UriTooLong: 414,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  StorageUnavailable: 503,
  Internal: 500,
  RequestNotFound: 404,
  RequestClosed: 410,
  RequestExpired: 410,
  RequestFull: 413,
  BadPublicKey: 400,
  SetNotFound: 404,
  SetExpired: 410,
  SetIncomplete: 409,
  SetFull: 413,
};

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** sent as Retry-After: when trying again can succeed (rate limits, quotas) */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
  get status(): number {
    return STATUS[this.code];
  }
}

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string };
}

/** 5xx details stay in the log; clients get the code and a generic sentence. */
export function errorBody(error: ApiError): ErrorBody {
  const message = error.status >= 500 ? 'The server could not complete this request' : error.message;
  return { error: { code: error.code, message } };
}

/** Fastify's own 4xx errors (bad JSON, wrong content type, body limit) as ApiErrors. */
export function fromFrameworkError(error: { statusCode?: number; code?: string; message: string; validation?: unknown }): ApiError {
  if (error.validation) return new ApiError('BadRequest', `Invalid request: ${error.message}`);
  switch (error.statusCode) {
    case 413:
      return new ApiError('PayloadTooLarge', 'Request body too large');
    case 429:
      return new ApiError('RateLimited', 'Too many requests');
    case 415:
      return new ApiError('UnsupportedMediaType', 'Send application/json');
    case 400:
      return new ApiError('BadRequest', error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'Empty JSON body' : 'Malformed JSON body');
    default:
      return new ApiError('Internal', error.message);
  }
}
