/**
 * The folder walk behind "Choose a folder" where the browser has showDirectoryPicker
 * (src/ui/pick.ts): every file with its path under the folder's name, sorted, and the empty
 * folders — which the webkitdirectory input never reports — listed as the CLI lists them.
 */
import { describe, expect, it } from 'vitest';
import { type DirectoryLike, fromDirectoryHandle, fromDrop, type HandleLike, pickDirectory } from '../../../src/ui/pick.ts';

const file = (name: string, text = name): HandleLike => ({ kind: 'file', name, getFile: async () => new File([text], name) });
const folder = (name: string, children: HandleLike[]): DirectoryLike => ({
  kind: 'directory',
  name,
  async *values() {
    yield* children;
  },
});

describe('fromDirectoryHandle', () => {
  it('lists files under the folder’s name and the empty folders, nested ones too; a folder holding only empty folders is not itself listed', async () => {
    const root = folder('album', [
      file('z.txt'),
      folder('empty', []),
      folder('2026', [file('b.jpg', 'bbb'), file('a.jpg'), folder('drafts', [])]),
      folder('only-empty-inside', [folder('deeper', [])]),
    ]);
    const tree = await fromDirectoryHandle(root);
    expect(tree.files.map((f) => f.path)).toEqual(['album/2026/a.jpg', 'album/2026/b.jpg', 'album/z.txt']);
    expect(await tree.files[1].file.text()).toBe('bbb');
    expect(tree.dirs).toEqual(['album/2026/drafts', 'album/empty', 'album/only-empty-inside/deeper']);
  });

  it('an empty folder picked alone gives no files and no folders', async () => {
    expect(await fromDirectoryHandle(folder('nothing', []))).toEqual({ files: [], dirs: [] });
  });
});

describe('pickDirectory', () => {
  it('is null when the person closes the picker, and throws other refusals', async () => {
    expect(await pickDirectory(async () => Promise.reject(new DOMException('closed', 'AbortError')))).toBeNull();
    await expect(pickDirectory(async () => Promise.reject(new DOMException('system folder', 'SecurityError')))).rejects.toThrow('system folder');
    expect((await pickDirectory(async () => folder('x', [file('a')])))?.files.map((f) => f.path)).toEqual(['x/a']);
  });
});

/** A dropped entry as the File and Directory Entries API gives it; folders answer in batches of two. */
function entry(fullPath: string, children?: unknown[]): unknown {
  if (!children) return { isFile: true, isDirectory: false, fullPath, file: (ok: (f: File) => void) => ok(new File([fullPath], fullPath)) };
  return {
    isFile: false,
    isDirectory: true,
    fullPath,
    createReader: () => {
      let at = 0;
      return {
        readEntries: (ok: (batch: unknown[]) => void) => {
          ok(children.slice(at, at + 2));
          at += 2;
        },
      };
    },
  };
}

describe('fromDrop', () => {
  it('walks dropped folders over several batches and lists their empty folders too', async () => {
    const dropped = entry('/trip', [entry('/trip/a.txt'), entry('/trip/empty', []), entry('/trip/b.txt'), entry('/trip/day1', [entry('/trip/day1/c.txt')])]);
    const data = { items: [{ webkitGetAsEntry: () => dropped }], files: [] } as unknown as DataTransfer; // only what fromDrop reads
    const tree = await fromDrop(data);
    expect(tree.files.map((f) => f.path)).toEqual(['trip/a.txt', 'trip/b.txt', 'trip/day1/c.txt']);
    expect(tree.dirs).toEqual(['trip/empty']);
  });
});
