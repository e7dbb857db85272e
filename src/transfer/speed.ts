/**
 * Smoothed transfer speed and time left, for progress displays. Speed is an exponentially
 * weighted average over a few seconds, so one fast or stalled part does not make the ETA jump.
 * Callers feed it per part or range (16 MiB), never per chunk, so displays update a few times a
 * second at most; the rate itself is recomputed at most every SAMPLE_INTERVAL_MS.
 */

/** How fast the average forgets: after this many ms an old rate weighs 1/e. */
const TIME_CONSTANT_MS = 3000;
/** Samples closer together than this only move `done`; the rate waits for a longer interval. */
export const SAMPLE_INTERVAL_MS = 250;

export interface Progress {
  done: number;
  total: number;
  /** Bytes per second, smoothed; null until there is a measurement. */
  speed: number | null;
  /** Seconds left at the smoothed speed; null when unknown. */
  eta: number | null;
}

export class SpeedMeter {
  private lastTime: number;
  private lastDone: number;
  private rate: number | null = null;

  constructor(
    private readonly total: number,
    start = 0,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastTime = now();
    this.lastDone = start;
  }

  /** Feeds the byte count done so far; returns the reading (the rate moves only every interval). */
  sample(done: number): Progress {
    const time = this.now();
    const elapsed = time - this.lastTime;
    if (elapsed < SAMPLE_INTERVAL_MS && done < this.total) return this.reading(done);
    if (elapsed > 0) {
      const instant = ((done - this.lastDone) * 1000) / elapsed;
      const weight = 1 - Math.exp(-elapsed / TIME_CONSTANT_MS);
      this.rate = this.rate === null ? instant : this.rate + weight * (instant - this.rate);
    }
    this.lastTime = time;
    this.lastDone = done;
    return this.reading(done);
  }

  reading(done: number): Progress {
    const speed = this.rate;
    const eta = done >= this.total ? 0 : speed && speed > 0 ? (this.total - done) / speed : null;
    return { done, total: this.total, speed, eta };
  }
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}
