/** The CLI's exit codes and messages, mapped from error codes in this one place. Scripts may rely on them. */
import { FormatError } from '../crypto/errors.ts';
import { LinkError, TransferError } from '../errors.ts';
import { displayName } from '../names.ts';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  network: 3,
  notFound: 4,
  wrongKey: 5,
  integrity: 6,
  unsupported: 7,
  cancelled: 130,
} as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * One member of a set failed (a tampered blob, a file that could not be written): `member` is its
 * name where it was being written, `cause` what went wrong, which also decides the exit code.
 */
export class MemberError extends Error {
  constructor(
    readonly member: string,
    override readonly cause: unknown,
    /** what is left behind, for the user: e.g. the files saved before it */
    readonly note = '',
  ) {
    super(`${member}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = new.target.name;
  }
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof MemberError) return exitCodeOf(error.cause);
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof FormatError) {
    switch (error.code) {
      case 'WrongKey':
        return EXIT.wrongKey;
      case 'UnsupportedSuite':
      case 'UnsupportedVersion':
        return EXIT.unsupported;
      default:
        return EXIT.integrity;
    }
  }
  if (error instanceof LinkError) return error.code === 'PasswordRequired' ? EXIT.wrongKey : EXIT.usage;
  if (error instanceof TransferError) {
    switch (error.code) {
      case 'NotFound':
      case 'Expired':
        return EXIT.notFound;
      case 'Aborted':
        return EXIT.cancelled;
      case 'SourceChanged':
        // The file changed while it was read: not the network's fault, and trying again may help.
        return EXIT.failure;
      default:
        return EXIT.network;
    }
  }
  return EXIT.failure;
}

export function messageOf(error: unknown): string {
  if (error instanceof MemberError) return `${displayName(error.member)} failed: ${messageOf(error.cause)}${error.note ? `\n${error.note}` : ''}`;
  if (error instanceof UsageError) return `${error.message}\nRun "cipherdrop --help" for usage.`;
  if (error instanceof FormatError) {
    switch (error.code) {
      case 'WrongKey':
        return `Wrong key or password: ${error.message}`;
      case 'KeyMismatch':
        return `Refused: ${error.message}. Nothing was sent.`;
      case 'UnsupportedSuite':
      case 'UnsupportedVersion':
        return `Unsupported format: ${error.message}`;
      default:
        return `Integrity check failed (${error.code}): ${error.message}. No output was kept.`;
    }
  }
  if (error instanceof LinkError && error.code === 'PasswordRequired') return 'This link needs a password: pass --password (or set CIPHERDROP_PASSWORD).';
  return error instanceof Error ? error.message : String(error);
}
