/**
 * Errors of the transfer layer (HTTP, network, API), next to the format's own (crypto/errors.ts).
 * Both cross the worker boundary as plain data and are rebuilt by `reviveError`.
 */
import {
  ContextMismatchError,
  CorruptedError,
  type CorruptionSite,
  FormatError,
  type FormatErrorCode,
  TrailingDataError,
  TruncatedError,
  UnsupportedSuiteError,
  UnsupportedVersionError,
  WrongKeyError,
} from './crypto/errors.ts';

export type TransferErrorCode =
  | 'Network'
  | 'HttpStatus'
  | 'MissingETag'
  | 'Aborted'
  | 'Api'
  | 'NotFound'
  | 'Expired'
  | 'BadLink'
  | 'PasswordRequired'
  | 'NoStreamingSave'
  /**
   * The file's bytes differ from those an unfinished upload already sealed (a part's plaintext
   * digest, or the fingerprint of a re-picked file): sealing them again under the same key and IVs
   * would reuse AES-GCM nonces, so the upload starts afresh with a new key instead.
   */
  | 'SourceChanged';

export class TransferError extends Error {
  constructor(
    readonly code: TransferErrorCode,
    message: string,
    /** HTTP status for HttpStatus/Api/NotFound; the API's error code for Api, the store's S3 code for HttpStatus. */
    readonly status?: number,
    readonly apiCode?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export const isAbort = (error: unknown): boolean =>
  (error instanceof TransferError && error.code === 'Aborted') || (error instanceof DOMException && error.name === 'AbortError');

export type SerializedError =
  | { kind: 'format'; code: FormatErrorCode; message: string; site?: CorruptionSite }
  | { kind: 'transfer'; code: TransferErrorCode; message: string; status?: number; apiCode?: string }
  | { kind: 'other'; message: string };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof CorruptedError) return { kind: 'format', code: error.code, message: error.message, site: error.site };
  if (error instanceof FormatError) return { kind: 'format', code: error.code, message: error.message };
  if (error instanceof TransferError) return { kind: 'transfer', code: error.code, message: error.message, status: error.status, apiCode: error.apiCode };
  if (isAbort(error)) return { kind: 'transfer', code: 'Aborted', message: 'Cancelled' };
  return { kind: 'other', message: error instanceof Error ? error.message : String(error) };
}

const FORMAT_CLASSES: Record<Exclude<FormatErrorCode, 'Corrupted'>, new (message: string) => FormatError> = {
  WrongKey: WrongKeyError,
  Truncated: TruncatedError,
  TrailingData: TrailingDataError,
  UnsupportedSuite: UnsupportedSuiteError,
  UnsupportedVersion: UnsupportedVersionError,
  ContextMismatch: ContextMismatchError,
};

export function reviveError(data: SerializedError): Error {
  switch (data.kind) {
    case 'format': {
      if (data.code === 'Corrupted') {
        const error = new CorruptedError(data.site ?? { field: 'unknown' }, '');
        error.message = data.message;
        return error;
      }
      return new FORMAT_CLASSES[data.code](data.message);
    }
    case 'transfer':
      return new TransferError(data.code, data.message, data.status, data.apiCode);
    case 'other':
      return new Error(data.message);
  }
}
