/** The upload page's logic without React: options and their bounds, what files are sent with, totals and announcements. */
import { describe, expect, it, vi } from 'vitest';
import type { Progress } from '../../../src/transfer/speed.ts';
import {
  Announcer,
  DEFAULT_CUSTOM_HOURS,
  doneBytes,
  expiresInSeconds,
  MAX_CUSTOM_HOURS,
  type PageQueue,
  totalsOf,
  UploadPageController,
} from '../../../src/upload/page-controller.ts';
import type { QueueEntry } from '../../../src/upload/queue.ts';
import type { UploadState } from '../../../src/upload/states.ts';
import type { UploadResult } from '../../../src/upload/uploader.ts';

const HOUR = 3600;
const result: UploadResult = { id: 'i', secret: 's', linkPath: '/d/i#s', expiresAt: null, ownerToken: 't', messageId: 'm' };
const progress = (done: number, total: number, speed: number | null = null): Progress => ({ done, total, speed, eta: null });

function entry(key: number, state: UploadState, size = 100, hasFile = true): QueueEntry {
  return { key, path: `f${key}.bin`, name: `f${key}.bin`, size, state, hasFile, password: false };
}

/** A queue that records what was added and lets the test publish snapshots. */
function fakeQueue() {
  const listeners = new Set<() => void>();
  let entries: QueueEntry[] = [];
  const queue = {
    subscribe: (listener: () => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => entries,
    add: vi.fn(async (): Promise<number[]> => []),
    restore: vi.fn(async () => undefined),
    pause: vi.fn(),
    resume: vi.fn(),
    retry: vi.fn(),
    cancel: vi.fn(async () => undefined),
    pauseAll: vi.fn(),
    resumeAll: vi.fn(),
    cancelAll: vi.fn(async () => undefined),
  } satisfies PageQueue;
  const publish = (next: QueueEntry[]) => {
    entries = next;
    for (const listener of listeners) listener();
  };
  return { queue, publish };
}

function controller(openUploads = true) {
  const { queue, publish } = fakeQueue();
  const api = { config: vi.fn(async () => ({ openUploads, abuseContact: null })), deleteFile: vi.fn(async () => ({ deleted: true })) };
  const setToken = vi.fn();
  const clearStaleSpool = vi.fn(async () => undefined);
  const c = new UploadPageController({ queue, api, setToken, clearStaleSpool, describe: (e) => (e instanceof Error ? e.message : String(e)) });
  return { c, queue, publish, api, setToken, clearStaleSpool };
}

const file = { file: new File(['x'], 'a.txt') };
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('expiry', () => {
  it('offers fixed choices, never, and custom hours within an hour and the server’s year', () => {
    expect(expiresInSeconds('hour', DEFAULT_CUSTOM_HOURS)).toBe(HOUR);
    expect(expiresInSeconds('week', DEFAULT_CUSTOM_HOURS)).toBe(7 * 24 * HOUR);
    expect(expiresInSeconds('never', DEFAULT_CUSTOM_HOURS)).toBeUndefined();
    expect(expiresInSeconds('custom', 1.5)).toBe(5400);
    expect(MAX_CUSTOM_HOURS).toBe(365 * 24);
  });

  it('turns the pickers off while a custom expiry is out of bounds, and on again when it is fixed', () => {
    const { c } = controller();
    expect(c.getSnapshot()).toMatchObject({ expiry: 'week', customHours: 48, customValid: true, canChoose: true });
    c.setCustomHours(0);
    expect(c.getSnapshot().canChoose).toBe(true); // not custom: the hours do not matter
    c.setExpiry('custom');
    expect(c.getSnapshot()).toMatchObject({ customValid: false, canChoose: false });
    for (const hours of [Number.NaN, MAX_CUSTOM_HOURS + 1, 0.5]) {
      c.setCustomHours(hours);
      expect(c.getSnapshot().canChoose).toBe(false);
    }
    c.setCustomHours(MAX_CUSTOM_HOURS);
    expect(c.getSnapshot()).toMatchObject({ customValid: true, canChoose: true });
  });
});

describe('adding files', () => {
  it('sends files with the options set before they were chosen', () => {
    const { c, queue } = controller();
    c.add([file]);
    expect(queue.add).toHaveBeenLastCalledWith([file], { password: undefined, expiresInSeconds: 7 * 24 * HOUR });
    c.setPassword('secret');
    c.setExpiry('custom');
    c.setCustomHours(5);
    c.add([file]);
    expect(queue.add).toHaveBeenLastCalledWith([file], { password: 'secret', expiresInSeconds: 5 * HOUR });
    c.setExpiry('never');
    c.setPassword('');
    c.add([file]);
    expect(queue.add).toHaveBeenLastCalledWith([file], { password: undefined, expiresInSeconds: undefined });
  });

  it('says why dropped files could not be read, until files are added', () => {
    const { c } = controller();
    c.dropFailed(new Error('NotReadableError'));
    expect(c.getSnapshot().dropError).toBe('NotReadableError');
    c.add([file]);
    expect(c.getSnapshot().dropError).toBeNull();
  });
});

describe('the page opening', () => {
  it('once: clears stale spool files, restores unfinished uploads, and asks for a token where uploads are not open', async () => {
    const { c, queue, api, clearStaleSpool } = controller(false);
    c.start();
    c.start(); // React's strict mode runs effects twice
    await tick();
    expect(clearStaleSpool).toHaveBeenCalledOnce();
    expect(queue.restore).toHaveBeenCalledOnce();
    expect(api.config).toHaveBeenCalledOnce();
    expect(c.getSnapshot().needsToken).toBe(true);
  });

  it('hands a typed token to the API client, and an emptied field as none', () => {
    const { c, setToken } = controller(false);
    c.setToken('abc');
    c.setToken('');
    expect(setToken.mock.calls).toEqual([['abc'], [undefined]]);
  });
});

describe('the queue as the page shows it', () => {
  it('totals live files only, counting a completing file as fully sent', () => {
    expect(totalsOf([entry(1, { state: 'done', result })])).toBeNull();
    const totals = totalsOf([
      entry(1, { state: 'uploading', progress: progress(50, 100, 10) }),
      entry(2, { state: 'completing' }),
      entry(3, { state: 'paused', progress: progress(20, 100) }, 100, false),
      entry(4, { state: 'done', result }),
    ]);
    expect(totals).toEqual({
      files: 3,
      percent: 56,
      progress: { done: 170, total: 300, speed: 10, eta: 13 },
      canPauseAll: true,
      canResumeAll: false, // the paused one waits for its file
      canCancelAll: true,
    });
    expect(doneBytes({ state: 'completing' }, 100)).toBe(100);
  });

  it('counts unfinished uploads waiting for their file', async () => {
    const { c, publish } = controller();
    publish([entry(1, { state: 'paused', progress: null }, 100, false), entry(2, { state: 'paused', progress: null })]);
    await tick();
    expect(c.getSnapshot().waiting).toBe(1);
    expect(c.getSnapshot().entries).toHaveLength(2);
  });

  it('announces states reached and progress by quarters, once each', () => {
    const a = new Announcer();
    expect(a.lines([entry(1, { state: 'queued', progress: null })])).toEqual([]);
    expect(a.lines([entry(1, { state: 'uploading', progress: progress(30, 100) })])).toEqual(['f1.bin: 25% uploaded.']);
    expect(a.lines([entry(1, { state: 'uploading', progress: progress(40, 100) })])).toEqual([]);
    expect(a.lines([entry(1, { state: 'uploading', progress: progress(99, 100) })])).toEqual(['f1.bin: 75% uploaded.']);
    expect(a.lines([entry(1, { state: 'uploading', progress: progress(100, 100) })])).toEqual([]);
    expect(a.lines([entry(1, { state: 'paused', progress: progress(100, 100) })])).toEqual(['f1.bin paused.']);
    expect(a.lines([entry(1, { state: 'done', result })])).toEqual(['f1.bin is uploaded. Its share link is ready.']);
    expect(a.lines([entry(1, { state: 'done', result })])).toEqual([]);
  });

  it('announces a burst of changes together, and keeps the last words until there are new ones', async () => {
    const { c, publish } = controller();
    publish([entry(1, { state: 'failed', message: 'm', progress: null }), entry(2, { state: 'uploading', progress: progress(0, 100) })]);
    publish([entry(1, { state: 'failed', message: 'm', progress: null }), entry(2, { state: 'cancelled' })]);
    await tick();
    expect(c.getSnapshot().announcement).toBe('f1.bin upload failed. f2.bin cancelled.');
    publish([entry(1, { state: 'failed', message: 'm', progress: null }), entry(2, { state: 'cancelled' })]);
    await tick();
    expect(c.getSnapshot().announcement).toBe('f1.bin upload failed. f2.bin cancelled.');
  });

  it('deletes a file with its owner token through the API', async () => {
    const { c, api } = controller();
    await c.deleteFile('id', 'owner');
    expect(api.deleteFile).toHaveBeenCalledWith('id', 'owner');
  });
});
