/** Who may upload (bearer tokens) and who may delete (owner tokens), compared in constant time. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AccessSettings } from './config.ts';
import { ApiError } from './errors.ts';

/** Hashing first gives equal-length inputs, so the comparison time says nothing about the token. */
const digest = (value: string) => createHash('sha256').update(value).digest();

export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The token of an `Authorization: Bearer …` header, if there is one. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
}

/** Throws 401 without a bearer token and 403 with an unknown one, unless uploads are open. */
export function checkUploadToken(access: AccessSettings, authorization: string | undefined): void {
  if (access.openUploads) return;
  const token = bearerToken(authorization);
  if (!token) throw new ApiError('Unauthorized', 'Uploads need an access token (Authorization: Bearer …)');
  // Every token is compared, so the time taken does not depend on which one matched.
  let ok = false;
  for (const known of access.uploadTokens) ok = safeEqual(token, known) || ok;
  if (!ok) throw new ApiError('Forbidden', 'This access token is not valid');
}

/** Where an upload went: a file request, a set, or neither (a share link's file). */
export interface UploadScope {
  requestId?: string;
  setId?: string;
}

/**
 * The owner token of a file: an HMAC of its id, so the server keeps no state to honour it. A file
 * sent to a file request, or a set's blob, has the request's or the set's id in it too: its token
 * acts there and nowhere else (it only aborts the unfinished upload).
 */
export function ownerToken(access: AccessSettings, id: string, scope: UploadScope = {}): string {
  const subject = scope.requestId !== undefined ? `request:${scope.requestId}:${id}` : scope.setId !== undefined ? `set:${scope.setId}:${id}` : id;
  return createHmac('sha256', access.ownerSecret).update(`cipherdrop owner v1:${subject}`).digest('base64url');
}

export function checkOwnerToken(access: AccessSettings, id: string, token: string, scope: UploadScope = {}): void {
  if (!safeEqual(ownerToken(access, id, scope), token)) throw new ApiError('Forbidden', 'This owner token does not match the file');
}

/** The owner token of a file request (its inbox link carries it): lists, fetches and deletes its files. */
export function requestOwnerToken(access: AccessSettings, requestId: string): string {
  return createHmac('sha256', access.ownerSecret).update(`cipherdrop request owner v1:${requestId}`).digest('base64url');
}

/** 401 without `Authorization: Bearer …`, 403 with anything but this request's owner token. */
export function checkRequestOwner(access: AccessSettings, requestId: string, authorization: string | undefined): void {
  const token = bearerToken(authorization);
  if (!token) throw new ApiError('Unauthorized', "This needs the request's owner token (Authorization: Bearer …)");
  if (!safeEqual(requestOwnerToken(access, requestId), token)) throw new ApiError('Forbidden', 'This owner token does not match the request');
}

/** The owner token of a set: deletes the whole set. Its own HMAC label, so no other token passes for it. */
export function setOwnerToken(access: AccessSettings, setId: string): string {
  return createHmac('sha256', access.ownerSecret).update(`cipherdrop set owner v1:${setId}`).digest('base64url');
}

export function checkSetOwner(access: AccessSettings, setId: string, token: string): void {
  if (!safeEqual(setOwnerToken(access, setId), token)) throw new ApiError('Forbidden', 'This owner token does not match the set');
}
