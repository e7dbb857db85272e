/** Structured request logs: one JSON object per line, with what an operator needs and no secret. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../server/app.ts';
import { openAccess, openLimits } from '../../../server/config.ts';
import { loggerOptions } from '../../../server/logging.ts';
import type { Storage } from '../../../server/storage.ts';

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const storage: Storage = {
  publicOrigin: 'http://s3.test',
  customerKeys: false,
  createUpload: async () => ({ uploadId: 'u-1' }),
  presignPart: async () => 'http://s3.test/part?X-Amz-Signature=partsignature',
  presignMetaPut: async () => ({ url: 'http://s3.test/meta?X-Amz-Signature=metasignature', headers: {} }),
  complete: async () => {},
  listParts: async () => null,
  partChecksum: null,
  abort: async () => true,
  remove: async () => {},
  stat: async (id) => (id === ID ? { size: 10, expiresAt: null, customerKey: false, modifiedAt: null } : null),
  presignGet: async () => 'http://s3.test/get?X-Amz-Signature=getsignature',
  async *listIds() {},
  listUnfinished: async () => null,
};

describe('request logs', () => {
  it('are JSON lines with method, route pattern, status and timing, and never carry tokens, bodies, signatures or raw paths', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const uploadToken = 'upload-token-0123456789abcdef';
    const access = openAccess({ openUploads: false, uploadTokens: [uploadToken] });
    const app = await buildApp({ storage, access, limits: openLimits(), presignExpiresSeconds: 60, logger: loggerOptions('info', stream) });
    const created = await app.inject({
      method: 'POST',
      url: '/api/uploads?probe=querysecret',
      headers: { authorization: `Bearer ${uploadToken}` },
      payload: { size: 10, partCount: 1, partSize: 0, headerSize: 0, metaSize: 50 },
    });
    expect(created.statusCode).toBe(201);
    const { ownerToken, id } = created.json() as { ownerToken: string; id: string };
    await app.inject({ method: 'GET', url: `/api/files/${ID}` });
    await app.inject({ method: 'POST', url: `/api/files/${id}/delete`, payload: { ownerToken } });
    await app.inject({ method: 'POST', url: '/api/uploads', headers: { authorization: 'Bearer wrong-token-0123456789' }, payload: {} });
    // A link pasted with its `#` percent-encoded reaches the server; its secret must not reach the log.
    await app.inject({ method: 'GET', url: `/d/${ID}%23linksecretvalue` });
    await app.inject({ method: 'GET', url: '/nothing/here%23linksecretvalue' });
    await app.close();

    const events = lines.map((line) => JSON.parse(line));
    const completed = events.filter((e) => e.msg === 'request completed');
    expect(completed.map((e) => e.res.statusCode)).toEqual([201, 200, 200, 403, 404, 404]);
    for (const e of completed) expect(typeof e.responseTime).toBe('number');
    const incoming = events.filter((e) => e.msg === 'incoming request');
    expect(incoming.map((e) => `${e.req.method} ${e.req.route}`)).toEqual([
      'POST /api/uploads',
      'GET /api/files/:id',
      'POST /api/files/:id/delete',
      'POST /api/uploads',
      'GET (no route)',
      'GET (no route)',
    ]);
    const all = lines.join('\n');
    for (const secret of [uploadToken, ownerToken, 'wrong-token', 'querysecret', 'signature', 'linksecretvalue', id]) expect(all).not.toContain(secret);
  });
});
