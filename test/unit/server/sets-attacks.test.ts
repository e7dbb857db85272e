/**
 * Sets attacked, on the real embedded store: other sets' tickets and blobs, tickets carried across
 * sets and kinds, Complete too early, manifests larger than signed, oversized or missing, recipients
 * before Complete, path tricks, wrong owner tokens, blobs through the plain file routes, too many
 * blobs (raced across two processes), expired sets. Each is refused with a clear 4xx JSON, and
 * nothing is lost or made.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateUploadResponse } from '../../../src/contract/api.ts';
import { MAX_SET_MANIFEST_SIZE } from '../../../src/contract/limits.ts';
import type { CreateSetResponse, SetInfoResponse } from '../../../src/contract/sets.ts';
import {
  bucketKeys,
  caller,
  completedSet,
  completeSet,
  createSet,
  declareBlob,
  finishBlob,
  manifestUrl,
  putManifest,
  type Reply,
  type SetHarness,
  sendBlob,
  setKeys,
  startBlob,
  startSetHarness,
} from './set-fixtures.ts';

const MAX_BLOBS = 3;
let h: SetHarness;
let call: ReturnType<typeof caller>;
let a: CreateSetResponse;
let b: CreateSetResponse;
let blobOfA: CreateUploadResponse;
let blobOfB: CreateUploadResponse;

const refused = (res: Reply, status: number, code: string) => {
  expect([res.status, res.body?.error?.code], JSON.stringify(res.body)).toEqual([status, code]);
  expect(res.body.error.message).toEqual(expect.any(String));
};
/** Runs `attack`, then checks the bucket holds exactly what it held before. */
const unchanged = async (attack: () => Promise<void>) => {
  const before = await bucketKeys(h);
  await attack();
  expect(await bucketKeys(h)).toEqual(before);
};
/** A ticket's claims with `change` applied, under its old MAC. */
const altered = (ticket: string, change: (claims: Record<string, unknown>) => Record<string, unknown>) => {
  const [payload, mac] = ticket.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  return `${Buffer.from(JSON.stringify(change(claims))).toString('base64url')}.${mac}`;
};

beforeAll(async () => {
  h = await startSetHarness({ maxSetBlobs: MAX_BLOBS });
  call = caller(h.app);
  a = await createSet(h.app);
  b = await createSet(h.app);
  blobOfA = await sendBlob(h.app, a);
  blobOfB = await sendBlob(h.app, b);
}, 60_000);

afterAll(async () => h?.stop());

describe('tickets', () => {
  it("another set's ticket adds, signs and completes nothing", async () => {
    await unchanged(async () => {
      refused(await call('POST', '/api/uploads', declareBlob(10, { id: b.id, ticket: a.ticket })), 403, 'Forbidden');
      refused(await call('POST', `/api/sets/${b.id}/manifest`, { ticket: a.ticket, size: 10 }), 403, 'Forbidden');
      refused(await completeSet(h.app, { id: b.id, ticket: a.ticket }, [blobOfB.id]), 403, 'Forbidden');
      // Moved to name B under A's MAC.
      const moved = altered(a.ticket, (c) => ({ ...c, set: b.id }));
      refused(await call('POST', `/api/sets/${b.id}/manifest`, { ticket: moved, size: 10 }), 403, 'Forbidden');
      const later = altered(a.ticket, (c) => ({ ...c, until: Number(c.until) + 1e9 }));
      refused(await call('POST', `/api/sets/${a.id}/manifest`, { ticket: later, size: 10 }), 403, 'Forbidden');
    });
  });

  it("a blob's upload ticket is no set ticket, a set ticket no upload ticket, and a blob cannot move to another set", async () => {
    const inA = await startBlob(h.app, a);
    await unchanged(async () => {
      refused(await completeSet(h.app, { id: b.id, ticket: inA.ticket }, [inA.id]), 403, 'Forbidden');
      refused(await call('POST', `/api/sets/${a.id}/manifest`, { ticket: inA.ticket, size: 10 }), 403, 'Forbidden');
      refused(await call('POST', `/api/uploads/${inA.id}/parts`, { ticket: a.ticket, uploadId: inA.uploadId, partNumbers: [1] }), 403, 'Forbidden');
      const parts = [{ partNumber: 1, etag: '"x"' }];
      const moved = altered(inA.ticket, (c) => ({ ...c, setId: b.id }));
      refused(await call('POST', `/api/uploads/${inA.id}/complete`, { ticket: moved, uploadId: inA.uploadId, parts }), 403, 'Forbidden');
      const unbound = altered(inA.ticket, ({ setId: _, ...c }) => c);
      refused(await call('POST', `/api/uploads/${inA.id}/parts`, { ticket: unbound, uploadId: inA.uploadId, partNumbers: [1] }), 403, 'Forbidden');
      refused(await call('POST', `/api/uploads/${inA.id}/complete`, { ticket: inA.ticket, uploadId: inA.uploadId, parts, setId: b.id }), 400, 'BadRequest');
    });
    // Finished with its own ticket, the blob lands in A only.
    expect((await finishBlob(h.app, inA)).status).toBe(200);
    expect([...(await h.sets.blobSizes(a.id)).keys()].sort()).toEqual([blobOfA.id, inA.id].sort());
    expect([...(await h.sets.blobSizes(b.id)).keys()]).toEqual([blobOfB.id]);
    await h.sets.removeBlob(a.id, inA.id);
  });
});

describe('complete', () => {
  it('refuses a blob of another set (409 SetIncomplete), and removes nothing of either', async () => {
    const set = await createSet(h.app);
    const own = await sendBlob(h.app, set);
    await putManifest(h.app, set);
    await unchanged(async () => {
      refused(await completeSet(h.app, set, [own.id, blobOfA.id]), 409, 'SetIncomplete');
      refused(await completeSet(h.app, set, [blobOfA.id]), 409, 'SetIncomplete');
    });
    expect(await h.sets.completion(set.id)).toBeNull();
  });

  it('before every listed blob is complete, or before the manifest, is 409 SetIncomplete', async () => {
    const set = await createSet(h.app);
    const done = await sendBlob(h.app, set);
    const pending = await startBlob(h.app, set);
    await unchanged(async () => refused(await completeSet(h.app, set, [done.id]), 409, 'SetIncomplete'));
    await putManifest(h.app, set);
    await unchanged(async () => refused(await completeSet(h.app, set, [done.id, pending.id]), 409, 'SetIncomplete'));
    refused(await call('GET', `/api/sets/${set.id}`), 404, 'SetNotFound');
    expect((await finishBlob(h.app, pending)).status).toBe(200);
    expect((await completeSet(h.app, set, [done.id, pending.id])).status).toBe(200);
    // A repeat with another list does not rewrite it.
    await unchanged(async () => refused(await completeSet(h.app, set, [done.id]), 409, 'AlreadyComplete'));
  });

  it('refuses malformed lists: empty, duplicates, not ids (400)', async () => {
    await unchanged(async () => {
      for (const blobs of [[], [blobOfA.id, blobOfA.id], ['../x'], [`${blobOfA.id}/data`], ['set.json']])
        refused(await completeSet(h.app, a, blobs), 400, 'BadRequest');
    });
  });
});

describe('the manifest', () => {
  it('takes exactly the signed size and type: more, fewer, HTML are refused by the store and leave nothing', async () => {
    const set = await createSet(h.app);
    const { url, headers } = await manifestUrl(h.app, set, 100);
    await unchanged(async () => {
      expect((await fetch(url, { method: 'PUT', body: new Uint8Array(101), headers })).status).toBe(403);
      expect((await fetch(url, { method: 'PUT', body: new Uint8Array(99), headers })).status).toBe(403);
      expect((await fetch(url, { method: 'PUT', body: new Uint8Array(100), headers: { ...headers, 'content-type': 'text/html' } })).status).toBe(403);
    });
    expect(await h.sets.manifest(set.id)).toBeNull();
  });

  it('refuses sizes of 0 and over MAX_SET_MANIFEST_SIZE (400), and a set without one does not complete', async () => {
    const set = await createSet(h.app);
    const own = await sendBlob(h.app, set);
    await unchanged(async () => {
      for (const size of [0, -1, MAX_SET_MANIFEST_SIZE + 1, 1.5])
        refused(await call('POST', `/api/sets/${set.id}/manifest`, { ticket: set.ticket, size }), 400, 'BadRequest');
      refused(await completeSet(h.app, set, [own.id]), 409, 'SetIncomplete');
    });
  });
});

describe('recipients', () => {
  it('see nothing of an unfinished set (404), and blobs are never files', async () => {
    await unchanged(async () => {
      refused(await call('GET', `/api/sets/${a.id}`), 404, 'SetNotFound');
      refused(await call('GET', `/api/files/${blobOfA.id}`), 404, 'NotFound');
      refused(await call('POST', `/api/files/${blobOfA.id}/delete`, { ownerToken: blobOfA.ownerToken }), 403, 'Forbidden');
      // Without its ticket, a blob's token is taken for a plain file's: refused.
      refused(await call('POST', `/api/uploads/${blobOfA.id}/abort`, { ownerToken: blobOfA.ownerToken, uploadId: blobOfA.uploadId }), 403, 'Forbidden');
    });
    // With it, abort never removes a complete blob.
    const abort = await call('POST', `/api/uploads/${blobOfA.id}/abort`, {
      ownerToken: blobOfA.ownerToken,
      uploadId: blobOfA.uploadId,
      ticket: blobOfA.ticket,
    });
    expect(abort.status).toBe(200);
    expect((await h.sets.blobSizes(a.id)).has(blobOfA.id)).toBe(true);
    expect(await h.sets.slots(a.id)).toContain(blobOfA.id);
  });

  it('of a complete set get its listed blobs only', async () => {
    const { set, blobs } = await completedSet(h.app, [100, 200]);
    const info = (await call('GET', `/api/sets/${set.id}`)).body as SetInfoResponse;
    expect(info.blobs.map((x) => x.id)).toEqual(blobs.map((x) => x.id));
    for (const blob of blobs) refused(await call('GET', `/api/files/${blob.id}`), 404, 'NotFound');
  });
});

describe('owner tokens', () => {
  it("only the set's own deletes it: not a blob's, another set's, a garbage one", async () => {
    await unchanged(async () => {
      for (const ownerToken of [blobOfA.ownerToken, b.ownerToken, 'x', 'A'.repeat(43)])
        refused(await call('POST', `/api/sets/${a.id}/delete`, { ownerToken }), 403, 'Forbidden');
      refused(await call('POST', `/api/sets/${a.id}/delete`, {}), 400, 'BadRequest');
      // The set's token is no blob's either.
      const abort = { ownerToken: a.ownerToken, uploadId: blobOfA.uploadId, ticket: blobOfA.ticket };
      refused(await call('POST', `/api/uploads/${blobOfA.id}/abort`, abort), 403, 'Forbidden');
      refused(await call('POST', `/api/files/${a.id}/delete`, { ownerToken: a.ownerToken }), 403, 'Forbidden');
    });
  });
});

describe('ids', () => {
  it('path tricks in set and blob ids are 400 or 404, never another object', async () => {
    await unchanged(async () => {
      for (const id of ['..', '..%2F..%2Fcipherdrop', `${a.id}%2F..`, 'sets', `${a.id}x`, '%00', a.id.slice(1), `${a.id}%2Fset.json`]) {
        for (const [method, url, payload] of [
          ['GET', `/api/sets/${id}`, undefined],
          ['POST', `/api/sets/${id}/manifest`, { ticket: a.ticket, size: 10 }],
          ['POST', `/api/sets/${id}/complete`, { ticket: a.ticket, blobs: [blobOfA.id] }],
          ['POST', `/api/sets/${id}/delete`, { ownerToken: a.ownerToken }],
        ] as const) {
          const res = await call(method, url, payload);
          expect([400, 403, 404], `${method} ${url}: ${JSON.stringify(res.body)}`).toContain(res.status);
          expect(res.body.error.code).toEqual(expect.any(String));
        }
      }
      for (const setId of ['../x', `${a.id}/blobs`, '', 'sets'])
        refused(await call('POST', '/api/uploads', { ...declareBlob(10, a), setId }), 400, 'BadRequest');
    });
  });

  it('a blob declaration must be a blob: setId with its ticket, metaSize 0, no requestId or expiry', async () => {
    await unchanged(async () => {
      const { setTicket: _, ...noTicket } = declareBlob(10, a);
      const { setId: __, ...noSet } = declareBlob(10, a);
      for (const body of [
        noTicket,
        noSet,
        { ...declareBlob(10, a), metaSize: 4 },
        { ...declareBlob(10, a), expiresInSeconds: 3600 },
        { ...declareBlob(10, a), requestId: b.id },
        { ...declareBlob(10, a), setId: undefined, setTicket: undefined, metaSize: 0 },
      ])
        refused(await call('POST', '/api/uploads', body), 400, 'BadRequest');
    });
  });
});

describe('limits', () => {
  it(`takes at most ${MAX_BLOBS} blob uploads a set (413 SetFull), also raced across two processes`, async () => {
    const set = await createSet(h.app);
    const [x, y] = [caller(h.app), caller(h.second)];
    const results = await Promise.all([x, y, x, y, x, y].map((c) => c('POST', '/api/uploads', declareBlob(10, set))));
    const codes = results.map((r) => r.status);
    expect(codes.filter((s) => s === 201).length).toBeLessThanOrEqual(MAX_BLOBS);
    for (const r of results.filter((r) => r.status !== 201)) refused(r, 413, 'SetFull');
    expect((await h.sets.slots(set.id)).length).toBeLessThanOrEqual(MAX_BLOBS);
    // Once full (one process at a time), the next is refused and leaves nothing.
    while ((await h.sets.slots(set.id)).length < MAX_BLOBS) expect((await call('POST', '/api/uploads', declareBlob(10, set))).status).toBe(201);
    await unchanged(async () => refused(await call('POST', '/api/uploads', declareBlob(10, set)), 413, 'SetFull'));
  });

  it('an expired set takes nothing (410 SetExpired), is 410 to recipients, and its owner still deletes it', async () => {
    const { set } = await completedSet(h.app, [100], { expiresInSeconds: 600 });
    const open = await createSet(h.app, { expiresInSeconds: 600 });
    const pending = await startBlob(h.app, open);
    for (const s of [set, open]) {
      const record = await h.sets.read(s.id);
      await h.sets.create({ ...(record as NonNullable<typeof record>), expiresAt: Date.now() - 1 });
    }
    await unchanged(async () => {
      refused(await call('GET', `/api/sets/${set.id}`), 410, 'SetExpired');
      refused(await call('POST', '/api/uploads', declareBlob(10, open)), 410, 'SetExpired');
      refused(await call('POST', `/api/sets/${open.id}/manifest`, { ticket: open.ticket, size: 10 }), 410, 'SetExpired');
      refused(await completeSet(h.app, open, [pending.id]), 410, 'SetExpired');
    });
    // A blob started before cannot complete into it; what it left goes.
    refused(await finishBlob(h.app, pending), 410, 'SetExpired');
    expect((await setKeys(h, open.id)).filter((k) => k.includes(pending.id))).toEqual([]);
    for (const s of [set, open]) {
      expect((await call('POST', `/api/sets/${s.id}/delete`, { ownerToken: s.ownerToken })).status).toBe(200);
      expect(await setKeys(h, s.id)).toEqual([]);
    }
  });
});
