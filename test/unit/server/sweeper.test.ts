/** The sweeper: expired files, what abandoned uploads leave, and runs that never overlap. */
import { describe, expect, it } from 'vitest';
import type { ObjectStat, Storage, UnfinishedUpload } from '../../../server/storage.ts';
import { startSweeper, sweep } from '../../../server/sweeper.ts';
import { UNFINISHED_UPLOAD_SECONDS } from '../../../src/contract/limits.ts';

const NOW = 1_800_000_000_000;
const DAY = UNFINISHED_UPLOAD_SECONDS * 1000;
const stat = (modifiedAt: number, expiresAt: number | null = null): ObjectStat => ({ size: 1, expiresAt, customerKey: false, modifiedAt });

function fakeStore(objects: Record<string, ObjectStat>, unfinished: UnfinishedUpload[] | null, slowMs = 0) {
  const removed: string[] = [];
  const aborted: string[] = [];
  let listings = 0;
  let concurrent = 0;
  let peak = 0;
  const storage = {
    async *listIds() {
      listings++;
      concurrent++;
      peak = Math.max(peak, concurrent);
      await new Promise((r) => setTimeout(r, slowMs));
      concurrent--;
      yield* new Set(Object.keys(objects).map((k) => k.split('/')[0]));
    },
    stat: async (id: string, role: string) => objects[`${id}/${role}`] ?? null,
    remove: async (id: string, role: string) => {
      removed.push(`${id}/${role}`);
      delete objects[`${id}/${role}`];
    },
    listUnfinished: async () => unfinished,
    abort: async (id: string, uploadId: string) => {
      aborted.push(`${id}:${uploadId}`);
      return true;
    },
  } as unknown as Storage; // only what the sweeper calls
  return { storage, removed, aborted, stats: () => ({ listings, peak }) };
}

describe('sweep', () => {
  it('deletes expired files, and what uploads abandoned for over a day left, and keeps everything else', async () => {
    const { storage, removed, aborted } = fakeStore(
      {
        'expired/meta': stat(NOW - 10, NOW - 1),
        'expired/data': stat(NOW - 10),
        'live/meta': stat(NOW - 2 * DAY, NOW + 1000),
        'live/data': stat(NOW - 2 * DAY),
        'oldmeta/meta': stat(NOW - DAY - 1),
        'freshmeta/meta': stat(NOW - DAY + 60_000),
        'olddata/data': stat(NOW - DAY - 1),
      },
      [
        { id: 'stale', uploadId: 'u1', startedAt: NOW - DAY - 1 },
        { id: 'recent', uploadId: 'u2', startedAt: NOW - 1000 },
      ],
    );
    const result = await sweep(storage, NOW);
    expect(result).toEqual({ expired: ['expired'], orphaned: ['oldmeta', 'olddata'], aborted: ['stale'] });
    expect(removed.sort()).toEqual(['expired/data', 'expired/meta', 'olddata/data', 'olddata/meta', 'oldmeta/data', 'oldmeta/meta']);
    expect(aborted).toEqual(['stale:u1']);
  });

  it('works where the store cannot list unfinished uploads (s3rver)', async () => {
    const { storage } = fakeStore({ 'a/meta': stat(NOW - 2 * DAY) }, null);
    expect(await sweep(storage, NOW)).toEqual({ expired: [], orphaned: ['a'], aborted: [] });
  });
});

describe('startSweeper', () => {
  it('never starts a run while the previous one is still going', async () => {
    const { storage, stats } = fakeStore({ 'a/meta': stat(Date.now()) }, [], 120);
    const stop = startSweeper(storage, () => undefined, 20);
    await new Promise((r) => setTimeout(r, 400));
    stop();
    const { listings, peak } = stats();
    expect(peak).toBe(1);
    expect(listings).toBeGreaterThanOrEqual(2);
    expect(listings).toBeLessThanOrEqual(4);
  });
});
