import { describe, expect, it } from 'vitest';
import { formatDuration, SAMPLE_INTERVAL_MS, SpeedMeter } from '../../../src/transfer/speed.ts';

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('SpeedMeter', () => {
  it('always reports the bytes done, but moves the rate only every interval, and reports completion', () => {
    const c = clock();
    const meter = new SpeedMeter(1000, 0, c.now);
    c.advance(SAMPLE_INTERVAL_MS - 1);
    expect(meter.sample(10)).toEqual({ done: 10, total: 1000, speed: null, eta: null });
    c.advance(1);
    expect(meter.sample(20).speed).toBeCloseTo(80, 6); // 20 bytes in 250 ms
    c.advance(1);
    expect(meter.sample(1000)).toMatchObject({ done: 1000, eta: 0 });
  });

  it('measures a steady rate exactly and predicts the time left', () => {
    const c = clock();
    const meter = new SpeedMeter(10_000_000, 0, c.now);
    let reading = null;
    for (let i = 1; i <= 8; i++) {
      c.advance(500);
      reading = meter.sample(i * 500_000); // 1 MB/s
    }
    expect(reading?.speed).toBeCloseTo(1_000_000, 3);
    expect(reading?.eta).toBeCloseTo(6, 3);
  });

  it('smooths a stall instead of dropping to zero at once', () => {
    const c = clock();
    const meter = new SpeedMeter(100_000_000, 0, c.now);
    for (let i = 1; i <= 20; i++) {
      c.advance(500);
      meter.sample(i * 500_000);
    }
    c.advance(500);
    const stalled = meter.sample(20 * 500_000);
    expect(stalled?.speed).toBeGreaterThan(800_000);
    expect(stalled?.speed).toBeLessThan(1_000_000);
    expect(stalled?.eta).toBeGreaterThan(90);
  });

  it('has no ETA before the first measurement', () => {
    const meter = new SpeedMeter(100, 0, () => 0);
    expect(meter.reading(0)).toEqual({ done: 0, total: 100, speed: null, eta: null });
  });
});

describe('formatDuration', () => {
  it('reads naturally', () => {
    expect(formatDuration(0.2)).toBe('1 s');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(3 * 3600 + 20 * 60)).toBe('3 h 20 min');
  });
});
