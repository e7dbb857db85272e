/**
 * What the embedded store accepts, decided from the request alone (store-guard.ts applies it):
 * the S3 operations Cipherdrop uses, on path-style URLs of the one bucket, with keys, upload ids
 * and part numbers in the shapes Cipherdrop makes. s3rver joins these into file paths unchecked
 * (an uploadId of `../../x` writes outside its directory), so everything else is refused here.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';

/** An S3-style refusal: status, S3 error code, message. */
export class StoreError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Action =
  | 'list'
  | 'listUploads'
  | 'read'
  | 'write'
  | 'delete'
  | 'getTagging'
  | 'putTagging'
  | 'create'
  | 'part'
  | 'complete'
  | 'listParts'
  | 'abort';

export interface Operation {
  action: Action;
  /** null for bucket-level operations */
  key: string | null;
  uploadId: string | null;
}

/** Method, level and subresource → operation. Everything not listed is refused. */
const ACTIONS: Record<string, Action> = {
  'GET bucket -': 'list',
  'HEAD bucket -': 'list',
  'GET bucket uploads': 'listUploads',
  'GET object -': 'read',
  'HEAD object -': 'read',
  'PUT object -': 'write',
  'DELETE object -': 'delete',
  'GET object tagging': 'getTagging',
  'PUT object tagging': 'putTagging',
  'POST object uploads': 'create',
  'PUT object uploadId': 'part',
  'POST object uploadId': 'complete',
  'GET object uploadId': 'listParts',
  'DELETE object uploadId': 'abort',
};
const SUBRESOURCES = ['uploads', 'uploadId', 'tagging'];

/** Query parameters of SigV4 query authentication (case-sensitive, as s3rver reads them). */
const AUTH_PARAMS = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
]);
const LIST_PARAMS = new Set(['list-type', 'prefix', 'delimiter', 'max-keys', 'continuation-token', 'start-after', 'encoding-type', 'fetch-owner', 'marker']);
const UPLOADS_PARAMS = new Set(['prefix', 'delimiter', 'max-uploads', 'key-marker', 'upload-id-marker', 'encoding-type']);
const RESPONSE_PARAMS = new Set([
  'response-content-type',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-cache-control',
  'response-expires',
]);

/** s3rver's own upload ids: crypto.randomBytes(16).toString('hex') (controllers/object.js). */
export const UPLOAD_ID = /^[0-9a-f]{32}$/;
const PART_NUMBER = /^[1-9][0-9]{0,4}$/;
export const MAX_PART_NUMBER = 10_000;
/**
 * Keys: path segments of letters, digits, `_`, `-` and inner dots; no segment starts with a dot
 * (so no `.`, `..` or s3rver's own `._S3rver_*` files), no percent-encoding at all (so nothing
 * decodes to a slash or a dot). Cipherdrop's keys are `<prefix><22-char id>/data|meta`.
 */
const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;
export const MAX_KEY_LENGTH = 512;
const RANGE = /^bytes=(?:\d{1,15}-\d{0,15}|-\d{1,15})$/;

const invalid = (message: string) => new StoreError(400, 'InvalidArgument', message);

/**
 * True when s3rver will check a SigV4 signature on this request: exactly one mechanism, and it
 * is SigV4 (s3rver lets requests with no mechanism through, and also accepts SigV2).
 */
export function hasSigV4(headers: IncomingHttpHeaders, query: Record<string, unknown>): boolean {
  const has = (name: string) => Object.hasOwn(query, name);
  if (has('Signature')) return false;
  const auth = headers.authorization;
  if (auth !== undefined) return !has('X-Amz-Algorithm') && auth.startsWith('AWS4-HMAC-SHA256 ');
  return query['X-Amz-Algorithm'] === 'AWS4-HMAC-SHA256' && typeof query['X-Amz-Signature'] === 'string';
}

/** Loopback names only: s3rver reads any other Host as a virtual-hosted bucket name. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || isIP(hostname) !== 0;
}

/** The operation a signed request asks for, or a StoreError saying why it is refused. */
export function classify(
  method: string,
  url: string,
  query: Record<string, string | string[] | undefined>,
  headers: IncomingHttpHeaders,
  bucket: string,
): Operation {
  const rawPath = url.split('?')[0];
  let key: string | null = null;
  if (rawPath !== `/${bucket}`) {
    if (!rawPath.startsWith(`/${bucket}/`)) throw new StoreError(400, 'InvalidURI', 'Only path-style URLs of the store bucket are accepted');
    key = rawPath.slice(bucket.length + 2);
    if (key.length > MAX_KEY_LENGTH || !KEY.test(key) || key.includes('_S3rver_')) throw new StoreError(400, 'InvalidURI', 'Malformed object key');
  }
  const names = Object.keys(query);
  for (const name of names) {
    if (typeof query[name] !== 'string') throw invalid(`Query parameter ${name} must appear once`);
  }
  const present = SUBRESOURCES.filter((name) => names.includes(name));
  if (present.length > 1) throw invalid(`Conflicting query parameters: ${present.join(', ')}`);
  const sub = present[0] ?? '-';
  const action = ACTIONS[`${method} ${key === null ? 'bucket' : 'object'} ${sub}`];
  if (!action) throw new StoreError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource');

  const allowed = (name: string) =>
    AUTH_PARAMS.has(name) ||
    name === 'x-id' ||
    name === sub ||
    // headers hoisted into presigned URLs (s3rver merges x-amz-* parameters into the headers)
    (name.toLowerCase().startsWith('x-amz-') && !name.toLowerCase().startsWith('x-amz-copy-source')) ||
    (name === 'partNumber' && action === 'part') ||
    (action === 'list' && LIST_PARAMS.has(name)) ||
    (action === 'listUploads' && UPLOADS_PARAMS.has(name)) ||
    (action === 'read' && RESPONSE_PARAMS.has(name));
  for (const name of names) if (!allowed(name)) throw invalid(`Query parameter not accepted here: ${name.slice(0, 64)}`);

  if ((sub === 'uploads' || sub === 'tagging') && query[sub] !== '') throw invalid(`${sub} takes no value`);
  const uploadId = sub === 'uploadId' ? (query.uploadId as string) : null;
  if (uploadId !== null && !UPLOAD_ID.test(uploadId)) throw invalid('Malformed uploadId');
  if (action === 'part') {
    const part = query.partNumber;
    if (typeof part !== 'string' || !PART_NUMBER.test(part) || Number(part) > MAX_PART_NUMBER) throw invalid('partNumber must be an integer from 1 to 10000');
  }
  if (Object.hasOwn(query, 'X-Amz-Expires')) {
    // s3rver never expires a URL whose X-Amz-Expires is not a number
    const expires = query['X-Amz-Expires'] as string;
    if (!/^\d{1,6}$/.test(expires) || Number(expires) < 1 || Number(expires) > 604_800) throw invalid('X-Amz-Expires must be 1 to 604800 seconds');
  }
  if (Object.keys(headers).some((name) => name.startsWith('x-amz-copy-source'))) throw invalid('Copying is not supported');
  const range = headers.range;
  if (range !== undefined && !RANGE.test(range)) throw invalid('Malformed Range header');
  return { action, key, uploadId };
}

export interface CompletedPart {
  number: number;
  etag: string;
}

const PART = /\s*<Part>((?:\s*<[A-Za-z0-9]+>[^<]*<\/[A-Za-z0-9]+>)*)\s*<\/Part>/y;
const FIELD = /\s*<([A-Za-z0-9]+)>([^<]*)<\/\1>/y;
const QUOTE = /&quot;|&#34;|&#x22;|"/gi;
const ETAG = /^[A-Za-z0-9-]{1,128}$/;
const malformed = () => new StoreError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');

/**
 * The parts a CompleteMultipartUpload body lists, strictly: only `<Part>` elements with one
 * `<PartNumber>` and one `<ETag>` (plus Checksum* fields), in ascending part order.
 */
export function parseComplete(xml: string): CompletedPart[] {
  const root = /^\uFEFF?\s*(?:<\?xml[^>]*\?>)?\s*<CompleteMultipartUpload(?:\s+xmlns="[^"<>]*")?\s*>([\s\S]*)<\/CompleteMultipartUpload>\s*$/.exec(xml);
  if (!root) throw malformed();
  const inner = root[1];
  const parts: CompletedPart[] = [];
  // sticky regexes: each match must start where the last ended (a failed match resets lastIndex)
  let consumed = 0;
  PART.lastIndex = 0;
  for (let m = PART.exec(inner); m; m = PART.exec(inner)) {
    consumed = PART.lastIndex;
    const fields = new Map<string, string>();
    FIELD.lastIndex = 0;
    let end = 0;
    for (let f = FIELD.exec(m[1]); f; f = FIELD.exec(m[1])) {
      if (fields.has(f[1]) || !(f[1] === 'PartNumber' || f[1] === 'ETag' || f[1].startsWith('Checksum'))) throw malformed();
      fields.set(f[1], f[2]);
      end = FIELD.lastIndex;
    }
    if (m[1].slice(end).trim() !== '') throw malformed();
    const number = fields.get('PartNumber') ?? '';
    const etag = (fields.get('ETag') ?? '').replace(QUOTE, '');
    if (!PART_NUMBER.test(number) || Number(number) > MAX_PART_NUMBER || !ETAG.test(etag)) throw malformed();
    const previous = parts[parts.length - 1];
    if (previous && previous.number >= Number(number)) throw new StoreError(400, 'InvalidPartOrder', 'The list of parts was not in ascending order');
    parts.push({ number: Number(number), etag });
  }
  if (parts.length === 0 || inner.slice(consumed).trim() !== '') throw malformed();
  return parts;
}

/** The body s3rver parses again: canonical, with quoted ETags (its parser would read digits as a number). */
export const completeXml = (parts: CompletedPart[]): string =>
  `<CompleteMultipartUpload>${parts.map((p) => `<Part><PartNumber>${p.number}</PartNumber><ETag>"${p.etag}"</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
