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

/**
 * The owner token of a file: an HMAC of its id, so the server keeps no state to honour it. A file
 * sent to a file request has the request's id in it too: its token acts there and nowhere else.
 */
export function ownerToken(access: AccessSettings, id: string, requestId?: string): string {
  const subject = requestId === undefined ? id : `request:${requestId}:${id}`;
  return createHmac('sha256', access.ownerSecret).update(`cipherdrop owner v1:${subject}`).digest('base64url');
}

export function checkOwnerToken(access: AccessSettings, id: string, token: string, requestId?: string): void {
  if (!safeEqual(ownerToken(access, id, requestId), token)) throw new ApiError('Forbidden', 'This owner token does not match the file');
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
