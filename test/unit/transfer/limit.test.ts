import { describe, expect, it } from 'vitest';
import { Limiter } from '../../../src/transfer/limit.ts';
import { orderedPool } from '../../../src/transfer/ordered-pool.ts';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('orderedPool', () => {
  it('consumes in order with bounded concurrency, whatever order tasks finish in', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await orderedPool(
      20,
      3,
      async (i) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await tick((20 - i) % 7);
        inFlight--;
        return i * 2;
      },
      (value, i) => {
        expect(value).toBe(i * 2);
        seen.push(i);
      },
    );
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(peak).toBeLessThanOrEqual(3);
  });

  it('rejects with the first failure and starts nothing new after it', async () => {
    const started: number[] = [];
    await expect(
      orderedPool(
        10,
        2,
        async (i) => {
          started.push(i);
          await tick(1);
          if (i === 1) throw new Error('boom');
          return i;
        },
        () => {},
      ),
    ).rejects.toThrow('boom');
    await tick(20);
    expect(started.length).toBeLessThanOrEqual(4);
  });

  it('handles zero tasks and honours an abort signal', async () => {
    await orderedPool(
      0,
      2,
      async () => 1,
      () => {},
    );
    const controller = new AbortController();
    const run = orderedPool(
      5,
      1,
      () => tick(50).then(() => 1),
      () => {},
      controller.signal,
    );
    controller.abort(new Error('stop'));
    await expect(run).rejects.toThrow('stop');
  });
});

describe('Limiter', () => {
  it('grants at most `size` slots, in order, and frees them on release', async () => {
    const limiter = new Limiter(2);
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    const order: string[] = [];
    const granted = (name: string) => (release: () => void) => {
      order.push(name);
      return release;
    };
    const c = limiter.acquire().then(granted('c'));
    const d = limiter.acquire().then(granted('d'));
    await tick(5);
    expect([limiter.inUse, order]).toEqual([2, []]);
    a();
    a(); // a second release of the same slot is ignored
    (await c)();
    b();
    await d;
    expect(order).toEqual(['c', 'd']);
    expect(limiter.inUse).toBe(1);
  });

  it('an aborted waiter leaves the line without taking a slot', async () => {
    const limiter = new Limiter(1);
    const held = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error('paused'));
    await expect(waiting).rejects.toThrow('paused');
    held();
    expect(limiter.inUse).toBe(0);
    await expect(limiter.acquire(controller.signal)).rejects.toThrow('paused');
  });
});
