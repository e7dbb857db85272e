/**
 * The two links of a file request (docs/REQUESTS.md). Everything after the `#` stays in the
 * browser: the request link's fragment holds the public key's fingerprint and the card secret, the
 * inbox link's the owner token (sent to the server as a bearer token, it opens nothing) and the
 * inbox secret (never sent: it opens the private key).
 */
import { FILE_ID_PATTERN } from '../contract/limits.ts';
import { fromBase64Url, toBase64Url } from '../crypto/bytes.ts';
import { LinkError } from '../errors.ts';

const ID = new RegExp(FILE_ID_PATTERN);
const SECRET_LENGTH = 32;
/** base64url of 32 bytes: a SHA-256 fingerprint, an HMAC owner token */
const DIGEST = /^[A-Za-z0-9_-]{43}$/;

export interface RequestLink {
  id: string;
  fingerprint: string;
  cardSecret: Uint8Array;
}

export interface InboxLink {
  id: string;
  ownerToken: string;
  inboxSecret: Uint8Array;
}

const bad = () => new LinkError('BadLink', 'This link is incomplete or damaged: check that it was copied whole');

function parse(pathname: string, hash: string, prefix: 'r' | 'i'): { id: string; first: string; secret: Uint8Array } {
  const id = new RegExp(`^/${prefix}/([^/]+)/?$`).exec(pathname)?.[1] ?? '';
  const [first = '', second = '', ...rest] = hash.replace(/^#/, '').split('.');
  const secret = fromBase64Url(second);
  if (!ID.test(id) || !DIGEST.test(first) || rest.length > 0 || !secret || secret.byteLength !== SECRET_LENGTH) throw bad();
  return { id, first, secret };
}

export const requestLinkPath = ({ id, fingerprint, cardSecret }: RequestLink): string => `/r/${id}#${fingerprint}.${toBase64Url(cardSecret)}`;
export const inboxLinkPath = ({ id, ownerToken, inboxSecret }: InboxLink): string => `/i/${id}#${ownerToken}.${toBase64Url(inboxSecret)}`;

/** `/r/<id>#<fingerprint>.<cardSecret>`; BadLink when any piece is malformed. */
export function parseRequestLink(pathname: string, hash: string): RequestLink {
  const { id, first, secret } = parse(pathname, hash, 'r');
  return { id, fingerprint: first, cardSecret: secret };
}

/** `/i/<id>#<ownerToken>.<inboxSecret>`; BadLink when any piece is malformed. */
export function parseInboxLink(pathname: string, hash: string): InboxLink {
  const { id, first, secret } = parse(pathname, hash, 'i');
  return { id, ownerToken: first, inboxSecret: secret };
}
