/** What the limit tests share: a store that never fails, and a create-upload body of a chosen size. */
import type { Storage } from '../../server/storage.ts';

/**
 * Only what creating an upload reads (its meta PUT, its first batch of part URLs). The cast is
 * safe for routes that create uploads, check health or miss (404); anything else would find a
 * method missing.
 */
export function stubStorage(): Storage {
  return {
    publicOrigin: 'http://s3.test:9000',
    customerKeys: false,
    partChecksum: null,
    createUpload: async () => ({ uploadId: 'upload-1' }),
    presignMetaPut: async (id: string) => ({ url: `http://s3.test:9000/b/${id}/meta`, headers: {} }),
    presignPart: async (id: string, uploadId: string, partNumber: number) => `http://s3.test:9000/b/${id}/data?uploadId=${uploadId}&partNumber=${partNumber}`,
  } as Partial<Storage> as Storage;
}

/** A one-part upload of `bytes` in all (data plus its 100-byte meta object). */
export function uploadBody(bytes: number): Record<string, number> {
  return { size: bytes - 100, partCount: 1, partSize: 0, headerSize: 0, metaSize: 100 };
}
