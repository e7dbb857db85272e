/**
 * File requests from the terminal (docs/REQUESTS.md): `request create` prints the two links,
 * `send` sends files to a request link, `inbox` lists (and with --download saves) what arrived.
 * The same modules as the pages: src/requests/*.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { MAX_REQUEST_MESSAGE_LENGTH } from '../contract/limits.ts';
import { openDataObject } from '../download/data-object.ts';
import { downloadTo } from '../download/downloader.ts';
import { displayName, displayText } from '../names.ts';
import { FileSink, fileSource } from '../node/files.ts';
import { createFileRequest } from '../requests/create.ts';
import { openInbox } from '../requests/inbox.ts';
import { parseInboxLink, parseRequestLink } from '../requests/links.ts';
import { openRequest } from '../requests/sender.ts';
import { createApi } from '../transfer/api.ts';
import { directRunner } from '../transfer/parts.ts';
import { directFrameRunner } from '../transfer/ranges.ts';
import { uploadFile } from '../upload/uploader.ts';
import { type Args, linkUrl, parse, parseDuration, savedName, serverOf } from './args.ts';
import { UsageError } from './exit-codes.ts';
import { progressBar } from './progress.ts';

export const REQUEST_HELP: Record<string, string> = {
  request: `Usage: cipherdrop request create --title TITLE [--note NOTE] [--expires 7d]
                                [--max-files N] [--max-size 500M] [--server URL] [--token TOKEN]

Makes a key pair here and registers a file request. Prints the request link
(give it out: it lets people send you files) and the inbox link (keep it: it
opens every file sent). The server keeps only the public key and sealed blobs.`,
  send: `Usage: cipherdrop send REQUEST_LINK FILE... [--message TEXT]

Encrypts each file to the request's public key (checked against the link's
fingerprint) and sends it. Only the requester can open it; you cannot read it back.`,
  inbox: `Usage: cipherdrop inbox INBOX_LINK [--download DIR]

Lists the files sent to your request (names and messages decrypted here). With
--download DIR, saves every one of them into DIR, each verified before it gets its
name (a file that exists is not overwritten: the new one gets " (2)" and so on).`,
};

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** "500M", "2G", "1048576". */
export function parseSize(text: string): number {
  const match = /^(\d+)([KMGT]?)$/i.exec(text);
  if (!match) throw new UsageError(`--max-size takes a size like 500M or 2G (got ${JSON.stringify(text)})`);
  return Number(match[1]) * SIZE_UNITS[match[2].toUpperCase()];
}

function positiveInteger(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${option} takes a whole number of at least 1 (got ${JSON.stringify(text)})`);
  return n;
}

export async function request(args: Args, signal: AbortSignal): Promise<void> {
  const { values, positionals } = parse(args, {
    title: { type: 'string' },
    note: { type: 'string' },
    expires: { type: 'string' },
    'max-files': { type: 'string' },
    'max-size': { type: 'string' },
    server: { type: 'string' },
    token: { type: 'string' },
  });
  if (values.help) return void console.log(REQUEST_HELP.request);
  if (positionals[0] !== 'create' || positionals.length !== 1) throw new UsageError('the request command is: cipherdrop request create --title TITLE');
  if (!values.title?.trim()) throw new UsageError('request create needs --title');
  const server = serverOf(values.server);
  const api = createApi({ base: server, token: values.token ?? process.env.CIPHERDROP_TOKEN });
  const expiresInSeconds = parseDuration(values.expires ?? '7d');
  if (expiresInSeconds === undefined) throw new UsageError('a request always expires: give --expires a duration such as 7d');
  const created = await createFileRequest(
    api,
    {
      title: values.title.trim(),
      note: values.note?.trim() ?? '',
      expiresInSeconds,
      maxFiles: values['max-files'] === undefined ? undefined : positiveInteger(values['max-files'], '--max-files'),
      maxBytes: values['max-size'] === undefined ? undefined : parseSize(values['max-size']),
    },
    signal,
  );
  console.log(`Request link (give it out): ${server}${created.requestLink}`);
  console.log(`Inbox link (keep it private, it opens every file): ${server}${created.inboxLink}`);
}

export async function send(args: Args, signal: AbortSignal): Promise<void> {
  const { values, positionals } = parse(args, { message: { type: 'string' } });
  if (values.help) return void console.log(REQUEST_HELP.send);
  if (positionals.length < 2) throw new UsageError('send needs a REQUEST_LINK and at least one FILE');
  const message = values.message?.trim() || undefined;
  if (message && message.length > MAX_REQUEST_MESSAGE_LENGTH) throw new UsageError(`--message is at most ${MAX_REQUEST_MESSAGE_LENGTH} characters`);
  const url = linkUrl(positionals[0]);
  const api = createApi({ base: url.origin });
  const opened = await openRequest(api, parseRequestLink(url.pathname, url.hash), signal);
  if (opened.state !== 'open') throw new UsageError(`this request is ${opened.state}: it takes no more files`);
  console.error(`Sending to: ${displayText(opened.title)}`);
  for (const file of positionals.slice(1)) {
    const source = await fileSource(file);
    const bar = progressBar(source.name);
    await uploadFile(source, { api, runner: directRunner, request: { id: opened.id, keyring: opened.keyring, message }, signal, onProgress: bar.update });
    bar.finish();
    console.error(`Sent ${displayName(source.name)}: only the requester can open it.`);
  }
}

/** `name`, else `name (2)`, `name (3)`… in `dir`, among names not yet taken. */
function freeName(dir: string, name: string, taken: Set<string>): string {
  const ext = path.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? name : `${stem} (${n})${ext}`;
    if (!taken.has(candidate) && !existsSync(path.join(dir, candidate))) {
      taken.add(candidate);
      return candidate;
    }
  }
}

export async function inbox(args: Args, signal: AbortSignal): Promise<void> {
  const { values, positionals } = parse(args, { download: { type: 'string' } });
  if (values.help) return void console.log(REQUEST_HELP.inbox);
  if (positionals.length !== 1) throw new UsageError('inbox needs exactly one INBOX_LINK');
  const url = linkUrl(positionals[0]);
  const api = createApi({ base: url.origin });
  const link = parseInboxLink(url.pathname, url.hash);
  const opened = await openInbox(api, link, signal);
  console.log(`${displayText(opened.title)} (${opened.state}): ${opened.files.length} ${opened.files.length === 1 ? 'file' : 'files'}`);
  for (const file of opened.files) {
    if ('error' in file.opened) console.log(`  ! ${file.id}: does not open (${(file.opened.error as Error).message})`);
    else {
      const { meta } = file.opened.link;
      console.log(`  ${displayName(meta.name)}  ${meta.size} bytes${meta.message ? `  "${displayText(meta.message)}"` : ''}`);
    }
  }
  if (values.download === undefined) return;
  const dir = values.download;
  await mkdir(dir, { recursive: true });
  const taken = new Set<string>();
  for (const file of opened.files) {
    if (!('link' in file.opened)) continue;
    const received = file.opened.link;
    const target = path.join(dir, freeName(dir, savedName(received.meta.name), taken));
    const bar = progressBar(received.meta.name);
    await downloadTo(await openDataObject(received, { api, runner: directFrameRunner, signal }), FileSink.open(target), { onProgress: bar.update });
    bar.finish();
    console.error(`Saved ${displayName(received.meta.name)} (verified) to ${target}`);
  }
  const failed = opened.files.filter((f) => 'error' in f.opened).length;
  if (failed)
    throw new UsageError(`${failed} ${failed === 1 ? 'file does' : 'files do'} not open with this inbox's key (forged or damaged); the rest are saved`);
}
