/** Every error the page can show, mapped from its code in this one place. */
import { CorruptedError, FormatError } from '../crypto/errors.ts';
import { MAX_BLOB_DOWNLOAD } from '../download/limits.ts';
import { LinkError, SetResumeError, TransferError, ZipMemberError } from '../errors.ts';
import { displayName } from '../names.ts';

const NOTHING_SAVED = 'Nothing was saved.';

export function describeError(error: unknown): string {
  // One member of a set failed: say which, then why (its cause, in the words below).
  if (error instanceof ZipMemberError) return `${error.member}: ${describeError(error.cause)}`;
  if (error instanceof CorruptedError) {
    const where = 'frame' in error.site ? `corrupted at frame ${error.site.frame}` : `corrupted in its header (${error.site.field})`;
    return `The file is damaged or was tampered with: ${where}. ${NOTHING_SAVED}`;
  }
  if (error instanceof FormatError) {
    switch (error.code) {
      case 'WrongKey':
        return "This link's key does not open the file. Check that you copied the whole link, including the part after #.";
      case 'Truncated':
        return `The stored file is incomplete (truncated). ${NOTHING_SAVED}`;
      case 'TrailingData':
        return `The stored file has unexpected extra data at its end. ${NOTHING_SAVED}`;
      case 'ContextMismatch':
        return `The stored objects do not belong to this link (they were swapped or replaced). ${NOTHING_SAVED}`;
      case 'KeyMismatch':
        return "This request's key is not the one its link names: the server may have replaced it. Nothing was sent; ask the requester for a new link.";
      case 'UnsupportedSuite':
      case 'UnsupportedVersion':
        return `This file uses an encryption format Cipherdrop does not support. ${NOTHING_SAVED}`;
      case 'Corrupted':
        return `The file is damaged or was tampered with. ${NOTHING_SAVED}`;
    }
  }
  if (error instanceof LinkError) {
    switch (error.code) {
      case 'PasswordRequired':
        return 'This link is protected by a password.';
      case 'BadLink':
        return 'This link is incomplete or damaged. Check that it was copied whole, including the part after #.';
      case 'NoStreamingSave':
        // Issue 18: say which browsers work and offer the command line, not only what failed.
        return `This browser cannot stream files to disk (its service workers are off: a private window, or an older browser), and files over ${formatBytes(MAX_BLOB_DOWNLOAD)} are too large to hold in memory. Open the link in a current Firefox, Chrome or Safari outside a private window, or use the command line: npx cipherdrop download '<this link>'`;
    }
  }
  if (error instanceof SetResumeError) {
    const named = `${error.paths
      .slice(0, 3)
      .map((path) => displayName(path))
      .join(', ')}${error.paths.length > 3 ? ` and ${error.paths.length - 3} more` : ''}`;
    switch (error.code) {
      case 'SetFileChanged':
        return `Not continued: ${named} changed since this upload was interrupted (size or modified time). Choose the same, unchanged files, or cancel and share them again.`;
      case 'SetFileMissing':
        return `Not continued: ${named} ${error.paths.length === 1 ? 'is' : 'are'} missing from what you chose. Choose the same folder or files again.`;
      case 'SetDamaged':
        return 'This unfinished upload cannot be continued (what this browser kept of it is damaged). Cancel it and share the files again.';
    }
  }
  if (error instanceof TransferError) {
    switch (error.code) {
      case 'Network':
        return 'The network failed. Check your connection and try again.';
      case 'HttpStatus':
        return `The storage refused a request: ${error.message}`;
      case 'MissingETag':
        return error.message;
      case 'Aborted':
        return 'Cancelled.';
      case 'NotFound':
        return 'This file does not exist: it was never finished, has expired, or was deleted.';
      case 'Expired':
        return 'This link has expired: the file is no longer available.';
      case 'SourceChanged':
        // Also what the upload row shows when a changed file starts afresh (test/e2e/resume.spec.ts).
        return 'This file changed since its upload was interrupted: it is uploaded again from the start, with a new key.';
      case 'Api':
        switch (error.apiCode) {
          case 'QuotaExceeded':
            return `This server's upload quota is used up for now: ${error.message}`;
          case 'RequestNotFound':
            return 'This file request does not exist: it was deleted, has expired, or the link is incomplete.';
          case 'RequestClosed':
            return 'This file request is closed: its owner no longer accepts files.';
          case 'RequestExpired':
            return 'This file request has expired: it no longer accepts files.';
          case 'RequestFull':
            return `This file request is full: ${error.message}`;
          case 'BadPublicKey':
            return `The server refused the request's key: ${error.message}`;
          case 'SetNotFound':
            return 'This set of files does not exist: it was never finished, was deleted, or the link is incomplete.';
          case 'SetExpired':
            return 'This set of files has expired: it is no longer available.';
          case 'SetIncomplete':
            return `The set could not be finished: ${error.message}`;
          case 'SetFull':
            return `This set has as many uploads as a set may hold: ${error.message}`;
        }
        return `The server refused the request: ${error.message}`;
    }
  }
  // Unexpected: say what it was (a bug report needs it), and leave its stack in the console.
  console.error(error);
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `Something went wrong (${what}). Please try again.`;
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} ${n === 1 ? 'byte' : 'bytes'}` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function formatExpiry(expiresAt: number, now = Date.now()): string {
  const left = expiresAt - now;
  if (left <= 0) return 'expired';
  const hours = left / 3_600_000;
  if (hours < 1) return `expires in ${Math.max(1, Math.round(left / 60_000))} min`;
  if (hours < 48) return `expires in ${Math.round(hours)} h`;
  return `expires in ${Math.round(hours / 24)} days`;
}
