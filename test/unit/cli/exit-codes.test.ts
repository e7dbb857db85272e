/** The CLI's exit codes, which scripts rely on: one per kind of failure. */
import { expect, it } from 'vitest';
import { EXIT, exitCodeOf, messageOf, UsageError } from '../../../src/cli/exit-codes.ts';
import { KeyMismatchError, TruncatedError, WrongKeyError } from '../../../src/crypto/errors.ts';
import { reviveError, serializeError, TransferError } from '../../../src/errors.ts';

it('maps each failure to its documented exit code', () => {
  expect(exitCodeOf(new UsageError('x'))).toBe(EXIT.usage);
  expect(exitCodeOf(new WrongKeyError('x'))).toBe(EXIT.wrongKey);
  expect(exitCodeOf(new TruncatedError('x'))).toBe(EXIT.integrity);
  // A file request whose public key is not the one its link names: refused, as tampering.
  expect(exitCodeOf(new KeyMismatchError('x'))).toBe(EXIT.integrity);
  expect(messageOf(new KeyMismatchError('x'))).toContain('Nothing was sent');
  expect(reviveError(serializeError(new KeyMismatchError('x')))).toBeInstanceOf(KeyMismatchError);
  expect(exitCodeOf(new TransferError('NotFound', 'x', 404))).toBe(EXIT.notFound);
  expect(exitCodeOf(new TransferError('Network', 'x'))).toBe(EXIT.network);
  expect(exitCodeOf(new TransferError('Aborted', 'x'))).toBe(EXIT.cancelled);
  // A file that changed while it was uploaded is no network failure.
  expect(exitCodeOf(new TransferError('SourceChanged', 'x'))).toBe(EXIT.failure);
  expect(exitCodeOf(new Error('x'))).toBe(EXIT.failure);
});
