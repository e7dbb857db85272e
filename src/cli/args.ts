/** What every command shares: its arguments, the server, and where a file may be saved. */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LinkError } from '../errors.ts';
import { MAX_NAME_BYTES, safeFileName } from '../names.ts';
import { UsageError } from './exit-codes.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
/** FileSink writes to `<name>.cipherdrop-partial` first, and that name must fit the file system too. */
export const SAVE_NAME_BYTES = MAX_NAME_BYTES - '.cipherdrop-partial'.length;

export type Args = string[];

export function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(args: Args, options: T) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    // A link secret may begin with "-" (base64url), which parseArgs takes for an option.
    const hint = (error as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ? ' (write values that begin with "-" as --key=VALUE)' : '';
    throw new UsageError(`${(error as Error).message}${hint}`);
  }
}

/** "30m", "12h", "7d", "3600s", or "never". */
export function parseDuration(text: string): number | undefined {
  if (text === 'never') return undefined;
  const match = /^(\d+)([smhd])$/.exec(text);
  if (!match) throw new UsageError(`--expires takes a duration like 30m, 12h or 7d, or "never" (got ${JSON.stringify(text)})`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** The default place to save a file named by its uploader (authenticated, but theirs to choose); `-o` is used as given. */
export const savedName = (name: string): string => safeFileName(name, { maxBytes: SAVE_NAME_BYTES });

export function checkTarget(target: string, force: boolean): void {
  if (target !== '-' && existsSync(target) && !force) throw new UsageError(`${target} exists; pass --force to overwrite it`);
}

/** --server, else $CIPHERDROP_SERVER, else the local default; without a trailing slash. */
export const serverOf = (value: string | undefined): string => (value ?? process.env.CIPHERDROP_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, '');

/** A link given on the command line; BadLink when it is not a URL at all. */
export function linkUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new LinkError('BadLink', 'That is not a link');
  }
}
