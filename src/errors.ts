/**
 * Errors of the transfer layer (HTTP, network, API), of opening a link and of saving a set's
 * members, next to the format's own (crypto/errors.ts). Transfer and link errors cross the worker
 * boundary as plain data and are rebuilt by `reviveError`.
 */
import {
  ContextMismatchError,
  CorruptedError,
  type CorruptionSite,
  FormatError,
  type FormatErrorCode,
  KeyMismatchError,
  TrailingDataError,
  TruncatedError,
  UnsupportedSuiteError,
  UnsupportedVersionError,
  WrongKeyError,
} from './crypto/errors.ts';
import { displayName } from './names.ts';

export type TransferErrorCode =
  | 'Network'
  | 'HttpStatus'
  | 'MissingETag'
  | 'Aborted'
  | 'Api'
  | 'NotFound'
  | 'Expired'
  /**
   * The file's bytes differ from those an unfinished upload already sealed (a part's plaintext
   * digest, or the fingerprint of a re-picked file): sealing them again under the same key and IVs
   * would reuse AES-GCM nonces, so the upload starts afresh with a new key instead.
   */
  | 'SourceChanged';

/** What a server said, beside the HTTP status: the presign API's error code, or the store's S3 `<Code>`. */
export interface RemoteCodes {
  /** the presign API's `error.code` (Api, NotFound, Expired) */
  apiCode?: string;
  /** the S3 error `<Code>` of a store's answer (HttpStatus), e.g. `BadDigest`, `SlowDown` */
  storeCode?: string;
}

export class TransferError extends Error {
  readonly apiCode?: string;
  readonly storeCode?: string;
  constructor(
    readonly code: TransferErrorCode,
    message: string,
    /** HTTP status for HttpStatus/Api/NotFound/Expired */
    readonly status?: number,
    codes: RemoteCodes = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.apiCode = codes.apiCode;
    this.storeCode = codes.storeCode;
  }
}

/**
 * A share link that cannot be opened as it is, or whose file this browser cannot save: not a
 * transfer failing, but something the person must act on (copy the whole link, type the password,
 * use another browser).
 */
export type LinkErrorCode = 'BadLink' | 'PasswordRequired' | 'NoStreamingSave';

export class LinkError extends Error {
  constructor(
    readonly code: LinkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A member of a set's ZIP or folder save failed: `member` is its name there, `cause` what went wrong. */
export class ZipMemberError extends Error {
  readonly code = 'ZipMember';
  constructor(
    readonly member: string,
    override readonly cause: unknown,
  ) {
    super(`${displayName(member)}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = new.target.name;
  }
}

/**
 * An unfinished set (docs/SETS.md, "Resuming") cannot go on with the files picked again: one of
 * its files is not there, or is not the file planned (size or modified time differ), or what was
 * saved of it is damaged. `paths` names the files concerned.
 */
export type SetResumeErrorCode = 'SetFileMissing' | 'SetFileChanged' | 'SetDamaged';

export class SetResumeError extends Error {
  constructor(
    readonly code: SetResumeErrorCode,
    message: string,
    readonly paths: readonly string[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export const isAbort = (error: unknown): boolean =>
  (error instanceof TransferError && error.code === 'Aborted') || (error instanceof DOMException && error.name === 'AbortError');

export type SerializedError =
  | { kind: 'format'; code: FormatErrorCode; message: string; site?: CorruptionSite }
  | { kind: 'transfer'; code: TransferErrorCode; message: string; status?: number; apiCode?: string; storeCode?: string }
  | { kind: 'link'; code: LinkErrorCode; message: string }
  | { kind: 'other'; message: string };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof CorruptedError) return { kind: 'format', code: error.code, message: error.message, site: error.site };
  if (error instanceof FormatError) return { kind: 'format', code: error.code, message: error.message };
  if (error instanceof TransferError) {
    const { code, message, status, apiCode, storeCode } = error;
    return { kind: 'transfer', code, message, status, apiCode, storeCode };
  }
  if (error instanceof LinkError) return { kind: 'link', code: error.code, message: error.message };
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
  KeyMismatch: KeyMismatchError,
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
      return new TransferError(data.code, data.message, data.status, { apiCode: data.apiCode, storeCode: data.storeCode });
    case 'link':
      return new LinkError(data.code, data.message);
    case 'other':
      return new Error(data.message);
  }
}
