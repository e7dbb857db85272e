/**
 * Typed errors of the message format. Each has a stable `code`; UI text and CLI exit codes are
 * mapped from the code elsewhere (src/ui/messages.ts), never parsed out of `message`.
 */
export type FormatErrorCode =
  | 'WrongKey'
  | 'Corrupted'
  | 'Truncated'
  | 'TrailingData'
  | 'UnsupportedSuite'
  | 'UnsupportedVersion'
  | 'ContextMismatch'
  | 'KeyMismatch';

export abstract class FormatError extends Error {
  abstract readonly code: FormatErrorCode;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** No encrypted data key in the header unwraps with the given wrapping key. */
export class WrongKeyError extends FormatError {
  readonly code = 'WrongKey';
}

/** Where a corruption was found: a header field, or a frame by its sequence number. */
export type CorruptionSite = { field: string } | { frame: number; field: string };

export class CorruptedError extends FormatError {
  readonly code = 'Corrupted';
  constructor(
    readonly site: CorruptionSite,
    detail: string,
  ) {
    super('frame' in site ? `Frame ${site.frame} is corrupted (${site.field}): ${detail}` : `Header field ${site.field} is corrupted: ${detail}`);
  }
}

export class TruncatedError extends FormatError {
  readonly code = 'Truncated';
}

export class TrailingDataError extends FormatError {
  readonly code = 'TrailingData';
}

export class UnsupportedSuiteError extends FormatError {
  readonly code = 'UnsupportedSuite';
}

export class UnsupportedVersionError extends FormatError {
  readonly code = 'UnsupportedVersion';
}

/** The object is bound (by its encryption context) to another file id or object role. */
export class ContextMismatchError extends FormatError {
  readonly code = 'ContextMismatch';
}

/** A file request's public key is not the one its link names (by fingerprint), or not a request key: nothing may be encrypted to it. */
export class KeyMismatchError extends FormatError {
  readonly code = 'KeyMismatch';
}
