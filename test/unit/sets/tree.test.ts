import { describe, expect, it } from 'vitest';
import type { SetManifest } from '../../../src/crypto/set-manifest.ts';
import { setTree } from '../../../src/sets/tree.ts';

const file = (path: string, size: number) => ({ path, size, type: '', modified: 0, blob: 0, offset: 0 });

describe('setTree', () => {
  it('nests folders, counts and sums below each, keeps empty folders, and files in manifest order', () => {
    const manifest: SetManifest = {
      blobs: [],
      entries: [file('top/a.txt', 1), file('top/sub/b.txt', 2), file('c.txt', 4), { dir: true, path: 'top/empty/' }, file('top/sub/d.txt', 8)],
    };
    const root = setTree(manifest);
    expect([root.count, root.bytes, root.files]).toEqual([4, 15, [2]]);
    const [top] = root.folders;
    expect([top.name, top.count, top.bytes, top.files]).toEqual(['top', 3, 11, [0]]);
    expect(top.folders.map((f) => [f.path, f.count, f.bytes, f.files])).toEqual([
      ['top/sub', 2, 10, [1, 4]],
      ['top/empty', 0, 0, []],
    ]);
  });
});
