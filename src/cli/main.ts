/**
 * cipherdrop — upload, download and decrypt Cipherdrop files from a terminal or a script, and file
 * requests (requests.ts), with the same format module and transfer engine as the page. See
 * `cipherdrop --help`.
 */
import { readFile, stat } from 'node:fs/promises';
import { MAX_META_SIZE } from '../contract/limits.ts';
import { fromBase64Url, timingSafeEqual } from '../crypto/bytes.ts';
import { ContextMismatchError, CorruptedError } from '../crypto/errors.ts';
import { CONTEXT_ID, CONTEXT_OBJECT, decodeLinkSecret, objectContext, openMeta } from '../crypto/objects.ts';
import { keyNameOf, linkKey, parseKeyName } from '../crypto/password.ts';
import { readHeader } from '../crypto/random-access.ts';
import { openDataObject } from '../download/data-object.ts';
import { downloadTo, fetchLink, parseLink, unlockLink } from '../download/downloader.ts';
import { displayName, displayText } from '../names.ts';
import { decryptFile, FileSink, fileRandomAccess, fileSource } from '../node/files.ts';
import { createApi } from '../transfer/api.ts';
import { directRunner } from '../transfer/parts.ts';
import { directFrameRunner } from '../transfer/ranges.ts';
import { uploadFile } from '../upload/uploader.ts';
import { type Args, checkTarget, DEFAULT_SERVER, linkUrl, parse, parseDuration, savedName, serverOf } from './args.ts';
import { EXIT, exitCodeOf, messageOf, UsageError } from './exit-codes.ts';
import { progressBar } from './progress.ts';
import { readPassword } from './prompt.ts';
import { inbox, REQUEST_HELP, request, send } from './requests.ts';
import { downloadSet, isSetLink, list, SET_HELP, uploadAsSet } from './sets.ts';

const HELP: Record<string, string> = {
  ...REQUEST_HELP,
  ...SET_HELP,
  main: `Usage: cipherdrop <command> [options]

Commands:
  upload FILE...        encrypt and upload files, print one share link per file
  upload DIR            encrypt and upload a folder's tree, print one link for all of it
  download LINK         download, verify and decrypt a share link (a set: its whole tree)
  list LINK             show what a link shares (a set's files, folders and sizes)
  decrypt CIPHERTEXT    decrypt a downloaded data object offline
  request create        ask someone for files: prints a request link and an inbox link
  send LINK FILE...     send files to a request link (only the requester can open them)
  inbox LINK            list (--download DIR: save) the files sent to your request

Run "cipherdrop <command> --help" for a command's options.

Exit codes: 0 ok, 1 unexpected failure, 2 usage, 3 network or server error,
4 not found or expired, 5 wrong key or password, 6 integrity check failed
(tampered, truncated, swapped), 7 unsupported format, 130 interrupted.`,
  upload: `Usage: cipherdrop upload FILE|DIR... [--one-link] [--server URL] [--password] [--expires 7d] [--token TOKEN]

  --one-link       one link for all the files (a set), not one per file; implied
                   when a DIR is given
  --server URL     the Cipherdrop server (default $CIPHERDROP_SERVER or ${DEFAULT_SERVER})
  --token TOKEN    upload access token, if the server needs one (default $CIPHERDROP_TOKEN)
  --password       protect the links with a password (asked on the terminal,
                   or taken from $CIPHERDROP_PASSWORD)
  --expires AGE    how long the files stay available: 30m, 12h, 7d, or "never" (default 7d)

Prints one share link per file on stdout, or one /s/ link for a set; progress goes
to stderr. A DIR is shared with its tree under its own name (upload photos →
photos/…), empty folders included; symbolic links inside it are not followed
and special files are not read (both are skipped, and listed on stderr).`,
  download: `Usage: cipherdrop download LINK [-o PATH] [--zip FILE] [--force]

  -o, --output PATH   where to save (default: the file's own name in this folder; "-" for stdout).
                      For a set link (/s/…): the folder to recreate its tree in (default: a new
                      folder cipherdrop-<set id> in this folder)
  --zip FILE          a set link only: write the whole set as one ZIP instead ("-" for stdout)
  --force             overwrite PATH (or files in the folder) if they exist

The password, if the link has one, is asked on the terminal or taken from
$CIPHERDROP_PASSWORD. Nothing is left behind unless every byte verified: each
file is written as NAME.cipherdrop-partial and renamed only when complete. A set's
paths are made safe (nothing is written outside the folder; control characters,
"..", absolute paths and reserved names are neutralised, duplicates numbered);
a file that fails stops the download and is named.`,
  decrypt: `Usage: cipherdrop decrypt CIPHERTEXT --key SECRET [--meta META] [-o PATH] [--force]

  --key=SECRET        the link's secret (the part after #), or the whole link; write it
                      with "=" since a secret may begin with "-"
  --meta META         the file's meta object, for its name and an extra binding check
  --id ID             the file id to require (default: taken from the link or the object)
  -o, --output PATH   where to save (default: the name from --meta; "-" for stdout)
  --force             overwrite PATH if it exists

Works fully offline. The password, if any, as for download.`,
};

async function upload(args: Args, signal: AbortSignal): Promise<void> {
  const { values, positionals } = parse(args, {
    'one-link': { type: 'boolean' },
    server: { type: 'string' },
    password: { type: 'boolean' },
    expires: { type: 'string' },
    token: { type: 'string' },
  });
  if (values.help) return void console.log(HELP.upload);
  if (!positionals.length) throw new UsageError('upload needs at least one FILE');
  const server = serverOf(values.server);
  const api = createApi({ base: server, token: values.token ?? process.env.CIPHERDROP_TOKEN });
  const expiresInSeconds = parseDuration(values.expires ?? '7d');
  const password = values.password ? await readPassword(true) : undefined;
  if (values['one-link'] || (await anyFolder(positionals))) return uploadAsSet(positionals, { api, server, password, expiresInSeconds, signal });
  for (const file of positionals) {
    const source = await fileSource(file);
    const bar = progressBar(source.name);
    const result = await uploadFile(source, { api, runner: directRunner, password, expiresInSeconds, signal, onProgress: bar.update });
    bar.finish();
    console.log(`${server}${result.linkPath}`);
  }
}

const anyFolder = async (inputs: readonly string[]): Promise<boolean> => {
  for (const input of inputs) if ((await stat(input).catch(() => null))?.isDirectory()) return true;
  return false;
};

async function download(args: Args, signal: AbortSignal): Promise<void> {
  const { values, positionals } = parse(args, { output: { type: 'string', short: 'o' }, zip: { type: 'string' }, force: { type: 'boolean' } });
  if (values.help) return void console.log(HELP.download);
  if (positionals.length !== 1) throw new UsageError('download needs exactly one LINK');
  const url = linkUrl(positionals[0]);
  if (isSetLink(url)) return downloadSet(url, { output: values.output, zip: values.zip, force: values.force ?? false }, signal);
  if (values.zip !== undefined) throw new UsageError('--zip is for a set link (/s/…); this link is one file');
  const { id, secret } = parseLink(url.pathname, url.hash);
  const api = createApi({ base: url.origin });
  const objects = await fetchLink(api, id, secret, signal);
  const password = objects.passwordParams ? await readPassword(false) : undefined;
  const link = await unlockLink(objects, secret, password);
  const target = values.output ?? savedName(link.meta.name);
  checkTarget(target, values.force ?? false);
  const data = await openDataObject(link, { api, runner: directFrameRunner, signal });
  const bar = progressBar(link.meta.name);
  await downloadTo(data, FileSink.open(target), { onProgress: bar.update });
  bar.finish();
  if (target !== '-') console.error(`Saved ${displayName(link.meta.name)} (${link.meta.size} bytes, verified) to ${target}`);
}

/** --key takes the secret or the whole link; a link also fixes the id. */
function keyArgument(value: string): { secret: Uint8Array; id?: string } {
  if (value.includes('#')) {
    const url = new URL(value, 'http://link.invalid');
    return parseLink(url.pathname, url.hash);
  }
  const secret = decodeLinkSecret(value);
  if (!secret) throw new UsageError('--key must be the 43-character secret after # in the link, or the whole link');
  return { secret };
}

async function decrypt(args: Args): Promise<void> {
  const { values, positionals } = parse(args, {
    key: { type: 'string' },
    meta: { type: 'string' },
    id: { type: 'string' },
    output: { type: 'string', short: 'o' },
    force: { type: 'boolean' },
  });
  if (values.help) return void console.log(HELP.decrypt);
  if (positionals.length !== 1) throw new UsageError('decrypt needs exactly one CIPHERTEXT file');
  if (!values.key) throw new UsageError('decrypt needs --key');
  const input = positionals[0];
  const fromKey = keyArgument(values.key);

  const file = await fileRandomAccess(input);
  const header = await readHeader(file).finally(() => file.close());
  const id = values.id ?? fromKey.id ?? header.context[CONTEXT_ID];
  if (!id || header.context[CONTEXT_OBJECT] !== 'data') throw new ContextMismatchError('This is not a Cipherdrop data object (see --meta for the meta object)');
  const keyName = keyNameOf(header);
  const params = parseKeyName(keyName);
  const keyring = await linkKey(fromKey.secret, params ? await readPassword(false) : undefined, params);

  let expectedMessageId: Uint8Array | undefined;
  let name: string | undefined;
  if (values.meta) {
    const metaBytes = await readFile(values.meta);
    if (metaBytes.byteLength > MAX_META_SIZE) throw new CorruptedError({ field: 'meta' }, 'the meta object is too large');
    const meta = await openMeta(keyring, id, metaBytes);
    expectedMessageId = fromBase64Url(meta.dataMessageId) ?? undefined;
    name = meta.name;
  }
  const target = values.output ?? (name === undefined ? undefined : savedName(name));
  if (!target) throw new UsageError('decrypt needs -o PATH (or --meta, for the file name)');
  checkTarget(target, values.force ?? false);
  await decryptFile(input, target, keyring, {
    context: objectContext(id, 'data'),
    onHeader(h) {
      if (expectedMessageId && !timingSafeEqual(expectedMessageId, h.messageId))
        throw new ContextMismatchError('The meta object belongs to another data object');
    },
  });
  if (target !== '-') console.error(`Decrypted and verified ${name === undefined ? input : displayName(name)} to ${target}`);
}

async function listCommand(args: Args, signal: AbortSignal): Promise<void> {
  const { values, positionals } = parse(args, {});
  if (values.help) return void console.log(HELP.list);
  if (positionals.length !== 1) throw new UsageError('list needs exactly one LINK');
  await list(linkUrl(positionals[0]), signal);
}

const COMMANDS: Record<string, (args: Args, signal: AbortSignal) => Promise<void>> = { upload, download, list: listCommand, decrypt, request, send, inbox };

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      console.log(HELP.main);
      return command ? EXIT.ok : EXIT.usage;
    }
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    await run(rest, controller.signal);
    return EXIT.ok;
  } catch (error) {
    // Messages may quote a name, a path or a server's words; none of them gets to drive the terminal.
    console.error(`cipherdrop: ${messageOf(error).split('\n').map(displayText).join('\n')}`);
    return exitCodeOf(error);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
