/** A one-line progress bar on stderr, only when stderr is a terminal; at most 10 redraws a second. */
import { displayName } from '../names.ts';

const REDRAW_MS = 100;
const WIDTH = 24;
/** A label that wraps breaks the "\r" redraw, so it is kept short enough for the bar to fit on 80 columns. */
const LABEL_CHARS = 32;

/** `name` may be an uploader's: it is shown through displayName here, so no caller can forget to. */
export function progressBar(name: string): { update(done: number, total: number): void; finish(): void } {
  const label = displayName(name, LABEL_CHARS);
  const tty = process.stderr.isTTY;
  const started = Date.now();
  let last = 0;
  const draw = (done: number, total: number) => {
    const fraction = total ? done / total : 1;
    const filled = Math.round(fraction * WIDTH);
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const speed = done / seconds / 1e6;
    process.stderr.write(
      `\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${speed.toFixed(1)} MB/s `,
    );
  };
  return {
    update(done, total) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < REDRAW_MS && done < total) return;
      last = now;
      draw(done, total);
    },
    finish() {
      if (tty) process.stderr.write('\n');
    },
  };
}
