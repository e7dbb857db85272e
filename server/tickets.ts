/**
 * Upload tickets: what the server promised when it created an upload, handed to the uploader and
 * shown back on every later call for that upload. The server keeps no state, so the ticket is
 * the state: its claims (file id, part layout, meta size, file expiry, ticket expiry), base64url
 * JSON, then an HMAC-SHA256 of them under a key derived from OWNER_SECRET. Holding a ticket is
 * what lets a caller act on an unfinished upload; a forged, altered, expired or other file's
 * ticket is refused (403).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { PartLayout } from '../src/contract/layout.ts';
import { UNFINISHED_UPLOAD_SECONDS } from '../src/contract/limits.ts';
import { ApiError } from './errors.ts';

export interface TicketClaims extends PartLayout {
  id: string;
  metaSize: number;
  /** the file's expiry (ms since epoch) or null */
  expiresAt: number | null;
  /** when this ticket stops working (ms since epoch) */
  until: number;
  /** the file request the upload goes to (its objects live there), absent for a plain upload */
  requestId?: string;
  /** the set the upload is a blob of (its objects live there), absent for a plain upload */
  setId?: string;
}

const VERSION = 1;

const mac = (secret: string, payload: string) => createHmac('sha256', `cipherdrop ticket v${VERSION}\0${secret}`).update(payload).digest();

/** `until`: earlier than the usual UNFINISHED_UPLOAD_SECONDS (a set's blob ends with its set's ticket). */
export function issueTicket(
  secret: string,
  claims: Omit<TicketClaims, 'until'>,
  now = Date.now(),
  until = now + UNFINISHED_UPLOAD_SECONDS * 1000,
): { ticket: string; until: number } {
  const payload = Buffer.from(JSON.stringify({ v: VERSION, ...claims, until })).toString('base64url');
  return { ticket: `${payload}.${mac(secret, payload).toString('base64url')}`, until };
}

/** The ticket's claims, if it is genuine, unexpired and for this file; else a 403. */
export function readTicket(secret: string, ticket: string, id: string, now = Date.now()): TicketClaims {
  const claims = genuineTicket(secret, ticket, id);
  if (claims.until <= now) throw new ApiError('Forbidden', 'This upload ticket has expired; start the upload again');
  return claims;
}

/**
 * The ticket's claims if it is genuine and for this file, expired or not: what it says stays true
 * (which file request an upload went to), only the right to go on with the upload ends.
 */
export function genuineTicket(secret: string, ticket: string, id: string): TicketClaims {
  const [payload, signature] = ticket.split('.');
  const given = Buffer.from(signature ?? '', 'base64url');
  const expected = mac(secret, payload ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ApiError('Forbidden', 'This upload ticket is not valid');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TicketClaims & { v: number };
  if (claims.v !== VERSION || claims.id !== id) throw new ApiError('Forbidden', 'This upload ticket is for another file');
  return claims;
}

/**
 * A set's ticket (docs/SETS.md): the set's id and when it must be complete, under its own HMAC key,
 * so no upload ticket passes for a set's nor the reverse. It lets its holder add blobs to the set,
 * PUT its manifest and complete it.
 */
export interface SetTicketClaims {
  set: string;
  /** ms since epoch */
  until: number;
}

const setMac = (secret: string, payload: string) => createHmac('sha256', `cipherdrop set ticket v${VERSION}\0${secret}`).update(payload).digest();

export function issueSetTicket(secret: string, set: string, until: number): string {
  const payload = Buffer.from(JSON.stringify({ v: VERSION, set, until })).toString('base64url');
  return `${payload}.${setMac(secret, payload).toString('base64url')}`;
}

/** The claims of a genuine, unexpired ticket of this set; else a 403. */
export function readSetTicket(secret: string, ticket: string, set: string, now = Date.now()): SetTicketClaims {
  const [payload, signature] = ticket.split('.');
  const given = Buffer.from(signature ?? '', 'base64url');
  const expected = setMac(secret, payload ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ApiError('Forbidden', 'This set ticket is not valid');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SetTicketClaims & { v: number };
  if (claims.v !== VERSION || claims.set !== set) throw new ApiError('Forbidden', 'This set ticket is for another set');
  if (claims.until <= now) throw new ApiError('Forbidden', 'This set ticket has expired: the set was not completed in time');
  return { set: claims.set, until: claims.until };
}
