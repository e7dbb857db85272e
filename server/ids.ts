import { randomBytes } from 'node:crypto';
import { FILE_ID_PATTERN } from '../src/contract/limits.ts';

/** 128 random bits, base64url: unguessable, and safe in a URL path and an S3 key. */
export const FILE_ID_BYTES = 16;
export { FILE_ID_PATTERN };

const FILE_ID = new RegExp(FILE_ID_PATTERN);

export const newFileId = (): string => randomBytes(FILE_ID_BYTES).toString('base64url');
export const isFileId = (value: string): boolean => FILE_ID.test(value);

export type ObjectRole = 'data' | 'meta';

/** The only place object keys are made: always under the prefix, always from a validated id. */
export function objectKey(prefix: string, id: string, role: ObjectRole): string {
  if (!isFileId(id)) throw new Error('objectKey needs a validated file id');
  return `${prefix}${id}/${role}`;
}
