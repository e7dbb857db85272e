/** The workers' part-buffer pool (transfer/buffers.ts): reuse, what it keeps, what it drops. */
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../../src/transfer/buffers.ts';

describe('BufferPool', () => {
  it('hands out a view of exactly the size asked, on the smallest pooled buffer that holds it', () => {
    const pool = new BufferPool();
    const big = pool.take(300);
    const small = pool.take(100);
    pool.give(big);
    pool.give(small);
    const view = pool.take(90);
    expect([view.byteLength, view.byteOffset, view.buffer]).toEqual([90, 0, small.buffer]);
    // A larger size than any pooled buffer holds is a new buffer; the big one still serves 200.
    expect(pool.take(400).buffer).not.toBe(big.buffer);
    expect(pool.take(200).buffer).toBe(big.buffer);
  });

  it('keeps at most two buffers, the largest, and each buffer once', () => {
    const pool = new BufferPool();
    const [a, b, c] = [pool.take(100), pool.take(200), pool.take(300)];
    pool.give(b);
    pool.give(b); // given twice: still one buffer, not two owners
    pool.give(a);
    pool.give(c);
    const taken = [pool.take(1), pool.take(1), pool.take(1)].map((v) => v.buffer);
    expect(taken.slice(0, 2)).toEqual([b.buffer, c.buffer]);
    expect([a.buffer, b.buffer, c.buffer]).not.toContain(taken[2]);
  });

  it('drops a buffer that was transferred away', () => {
    const pool = new BufferPool();
    const view = pool.take(64);
    structuredClone(view.buffer, { transfer: [view.buffer] });
    pool.give(view);
    expect(pool.take(64).buffer.byteLength).toBe(64);
  });
});
