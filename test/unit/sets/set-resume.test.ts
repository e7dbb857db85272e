/**
 * What is kept of an unfinished set and how its files are known again (src/sets/set-resume.ts):
 * the match by relative path, size and modified time (refusing a missing or changed file, named),
 * the saved plan's round trip through IndexedDB (its wrapping key a non-extractable CryptoKey),
 * a database of the version before sets opening with its uploads kept, and the saved keyring
 * opening what the original one sealed.
 */
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { MESSAGE_ID_LENGTH, parseCompleteHeader } from '../../../src/crypto/format.ts';
import { createMessage } from '../../../src/crypto/message.ts';
import { SetResumeError } from '../../../src/errors.ts';
import { blobOf, matchMembers, resumable, type SavedSet, savedOf, startedOf, targetOf } from '../../../src/sets/set-resume.ts';
import { type SetMember, startSet } from '../../../src/sets/upload-set.ts';
import type { Api } from '../../../src/transfer/api.ts';
import { describeError } from '../../../src/ui/messages.ts';
import { IndexedDbResumeStore, MemoryResumeStore } from '../../../src/upload/resume-store.ts';

const T = 1_764_633_600_000;
const file = (text: string, modified = T) => new File([text], 'x', { lastModified: modified });
const saved = [
  { path: 'album/a.txt', size: 3, type: 'text/plain', modified: T },
  { path: 'album/sub/b.bin', size: 5, type: '', modified: T + 1 },
];

// First: the database does not exist yet in this file's fake IndexedDB.
describe('the IndexedDB store across the version that added sets', () => {
  it('a database of version 1 keeps its unfinished uploads and gains the sets store', async () => {
    const old = await openDB('cipherdrop', 1, {
      upgrade(db) {
        db.createObjectStore('unfinished-uploads', { keyPath: 'id' });
      },
    });
    await old.put('unfinished-uploads', { id: 'F'.repeat(22), path: 'a.bin', savedAt: 1, record: { id: 'F'.repeat(22) } });
    old.close();
    const store = new IndexedDbResumeStore();
    expect((await store.list()).map((s) => s.id)).toEqual(['F'.repeat(22)]);
    expect(await store.listSets()).toEqual([]);
  });
});

describe('matchMembers', () => {
  it('finds every member by its relative path, in the plan’s order, and leaves other picked files out', () => {
    const a = file('aaa');
    const b = file('bbbbb', T + 1);
    const files = matchMembers(saved, [
      { path: 'album/new-since.txt', file: file('new') },
      { path: 'album/sub/b.bin', file: b },
      { path: 'album/a.txt', file: a },
    ]);
    expect(files).toEqual([a, b]);
  });

  it('refuses a file whose size differs, naming it', () => {
    const error = catchError(() =>
      matchMembers(saved, [
        { path: 'album/a.txt', file: file('aaaa') },
        { path: 'album/sub/b.bin', file: file('bbbbb', T + 1) },
      ]),
    );
    expect(error).toBeInstanceOf(SetResumeError);
    expect(error).toMatchObject({ code: 'SetFileChanged', paths: ['album/a.txt'] });
  });

  it('refuses a file whose modified time differs (same size), naming it', () => {
    const error = catchError(() =>
      matchMembers(saved, [
        { path: 'album/a.txt', file: file('aaa') },
        { path: 'album/sub/b.bin', file: file('bbbbb', T + 2) },
      ]),
    );
    expect(error).toMatchObject({ code: 'SetFileChanged', paths: ['album/sub/b.bin'] });
    expect(describeError(error)).toBe(
      'Not continued: album/sub/b.bin changed since this upload was interrupted (size or modified time). Choose the same, unchanged files, or cancel and share them again.',
    );
  });

  it('refuses when a member is missing (another folder, or a file moved), naming it; the path must match exactly', () => {
    const error = catchError(() =>
      matchMembers(saved, [
        { path: 'album/a.txt', file: file('aaa') },
        { path: 'other/sub/b.bin', file: file('bbbbb', T + 1) },
      ]),
    );
    expect(error).toMatchObject({ code: 'SetFileMissing', paths: ['album/sub/b.bin'] });
    expect(describeError(error)).toContain('album/sub/b.bin is missing');
  });

  it('a blob is its members again, in order', async () => {
    const files = [file('aaa'), file('bbbbb')];
    expect(await blobOf({ name: 'blob-1', members: [0, 1] }, files).text()).toBe('aaabbbbb');
    expect(blobOf({ name: 'blob-2', members: [1] }, files)).toBe(files[1]);
  });
});

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

/** A started set as startSet makes it, without a server. */
async function started(password?: string) {
  const api = {
    createSet: async () => ({ id: 'S'.repeat(22), ownerToken: 'owner', ticket: 'ticket', expiresAt: null, resumableUntil: Date.now() + 3_600_000 }),
  } as unknown as Pick<Api, 'createSet'>; // the one call startSet makes
  return startSet(api, { password });
}

const members = (): SetMember[] => saved.map((m) => ({ blob: new Blob(['x'.repeat(m.size)]), path: m.path, type: m.type, modified: m.modified }));

describe('the saved plan', () => {
  it('lists members in blob order with their blobs, results, ids, ticket and keys, and gives the same target back', async () => {
    const set = await started('correct horse');
    const [a, b] = members();
    const plan = savedOf(
      {
        label: 'album',
        folder: true,
        dirs: ['album/empty'],
        blobs: [
          { name: 'blob-1', members: [b], result: { id: 'B'.repeat(22), messageId: 'm' } },
          { name: 'blob-2', members: [a] },
        ],
      },
      set,
    );
    expect(plan).toMatchObject({ id: set.id, ownerToken: 'owner', ticket: 'ticket', label: 'album', folder: true, password: true, dirs: ['album/empty'] });
    expect(plan.members.map((m) => m.path)).toEqual(['album/sub/b.bin', 'album/a.txt']);
    expect(plan.blobs).toEqual([
      { name: 'blob-1', members: [0], result: { id: 'B'.repeat(22), messageId: 'm' } },
      { name: 'blob-2', members: [1] },
    ]);
    expect(resumable(plan)).toBe(true);
    expect(resumable({ ...plan, resumableUntil: Date.now() - 1 })).toBe(false);
    expect(resumable({ ...plan, expiresAt: Date.now() - 1 })).toBe(false);

    // Stored and read back (structured clone, as IndexedDB does), the keyring opens what the original sealed.
    const store = new IndexedDbResumeStore();
    await store.putSet(plan);
    const [back] = await store.listSets();
    expect(back.wrappingKey.extractable).toBe(false);
    const again = startedOf(back);
    expect(again.target.secret).toEqual(set.target.secret);
    const context = again.target.context('B'.repeat(22));
    const message = await createMessage(set.target.keyring, context, 1024);
    expect(message.messageId.byteLength).toBe(MESSAGE_ID_LENGTH);
    const header = parseCompleteHeader(message.header);
    await expect(again.target.keyring.unwrap(header)).resolves.toBeInstanceOf(Uint8Array);
    await store.removeSet(plan.id);
    expect(await store.listSets()).toEqual([]);
  });

  it('a damaged saved secret is refused with a typed error', async () => {
    const plan = savedOf({ label: 'x', folder: false, dirs: [], blobs: [] }, await started());
    expect(() => targetOf({ ...plan, secret: '!!' })).toThrow(SetResumeError);
  });

  it('the memory store keeps sets apart from uploads', async () => {
    const store = new MemoryResumeStore();
    const plan: SavedSet = savedOf({ label: 'x', folder: false, dirs: [], blobs: [] }, await started());
    await store.putSet(plan);
    expect((await store.listSets()).map((s) => s.id)).toEqual([plan.id]);
    expect(await store.list()).toEqual([]);
  });
});

describe('the refusal as the row shows it', () => {
  it('names the files with their bidi and control characters made visible, as every shown name is', () => {
    const text = describeError(new SetResumeError('SetFileChanged', 'changed', ['album/invoice\u202Efdp.exe', 'album/a\nb.txt']));
    expect(text).toContain('album/invoice\uFFFDfdp.exe, album/a\uFFFDb.txt changed');
    expect(text).not.toMatch(/[\u202A-\u202E\u2066-\u2069\n]/);
  });
});
