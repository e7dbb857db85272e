/** Playwright's global teardown: removes the run's temp folder (playwright.config.ts, CIPHERDROP_RUN_TMP). */
import { rmSync } from 'node:fs';

export default function removeRunTmp(): void {
  const dir = process.env.CIPHERDROP_RUN_TMP;
  if (dir?.includes('cipherdrop-run-')) rmSync(dir, { recursive: true, force: true });
}
