/** Structured request logs: one JSON object per line, with what an operator needs and no secret. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { openAccess } from '../../server/config.ts';
import { loggerOptions } from '../../server/logging.ts';
import type { Storage } from '../../server/storage.ts';

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const storage: Storage = {
  publicOrigin: 'http://s3.test',
  customerKeys: false,
  createUpload: async () => ({ uploadId: 'u-1' }),
  presignPart: async () => 'http://s3.test/part?X-Amz-Signature=partsignature',
  presignPut: async () => ({ url: 'http://s3.test/meta?X-Amz-Signature=metasignature', headers: {} }),
  complete: async () => {},
  listParts: async () => null,
  partChecksum: null,
  abort: async () => true,
  remove: async () => {},
  stat: async (id) => (id === ID ? { size: 10, expiresAt: null, customerKey: false } : null),
  presignGet: async () => 'http://s3.test/get?X-Amz-Signature=getsignature',
  async *listIds() {},
};

describe('request logs', () => {
  it('are JSON lines with method, path, status and timing, and never carry tokens, bodies or signatures', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const uploadToken = 'upload-token-0123456789abcdef';
    const access = openAccess({ openUploads: false, uploadTokens: [uploadToken] });
    const app = await buildApp({ storage, access, presignExpiresSeconds: 60, logger: loggerOptions('info', stream) });
    const created = await app.inject({
      method: 'POST',
      url: '/api/uploads?probe=querysecret',
      headers: { authorization: `Bearer ${uploadToken}` },
      payload: { size: 10, partCount: 1 },
    });
    expect(created.statusCode).toBe(201);
    const { ownerToken, id } = created.json() as { ownerToken: string; id: string };
    await app.inject({ method: 'GET', url: `/api/files/${ID}` });
    await app.inject({ method: 'POST', url: `/api/files/${id}/delete`, payload: { ownerToken } });
    await app.inject({ method: 'POST', url: '/api/uploads', headers: { authorization: 'Bearer wrong-token-0123456789' }, payload: {} });
    await app.close();

    const events = lines.map((line) => JSON.parse(line));
    const completed = events.filter((e) => e.msg === 'request completed');
    expect(completed.map((e) => e.res.statusCode)).toEqual([201, 200, 200, 403]);
    for (const e of completed) expect(typeof e.responseTime).toBe('number');
    const incoming = events.filter((e) => e.msg === 'incoming request');
    expect(incoming.map((e) => `${e.req.method} ${e.req.path}`)).toEqual([
      'POST /api/uploads',
      `GET /api/files/${ID}`,
      `POST /api/files/${id}/delete`,
      'POST /api/uploads',
    ]);
    const all = lines.join('\n');
    for (const secret of [uploadToken, ownerToken, 'wrong-token', 'querysecret', 'signature']) expect(all).not.toContain(secret);
  });
});
