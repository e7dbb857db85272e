import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';
import { chosenEngines } from './test/browsers/engine.ts';
import type { EngineOptions } from './test/browsers/fixtures.ts';

/** Debian's Chromium: Playwright cannot download its own browsers here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Flags that work as root with no network (see shared/BROWSER-FACTS.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * CIPHERDROP_BROWSERS (comma-separated, default all three) picks the engines: `chromium` runs the
 * whole e2e suite (test/e2e) as before; every engine runs the cross-engine specs (test/browsers),
 * Chromium through Playwright, Firefox and WebKitGTK through the adapter there.
 */
const engines = chosenEngines();

/**
 * One temp folder for the whole run, removed when it ends (test/remove-run-tmp.ts): every folder a
 * spec makes with mkdtempSync(tmpdir()) and every browser profile goes under it. The specs' folders
 * (picked trees, downloads, 150 MiB sets) were left behind before, ~20 GB over a few hundred runs,
 * and a full disk stops the Ceph monitor. Workers load this file again and inherit the variable.
 */
process.env.CIPHERDROP_RUN_TMP ??= mkdtempSync(path.join(tmpdir(), 'cipherdrop-run-'));
process.env.TMPDIR = process.env.CIPHERDROP_RUN_TMP;

export default defineConfig<EngineOptions>({
  projects: [
    ...(engines.includes('chromium')
      ? [
          {
            name: 'chromium',
            testDir: 'test/e2e',
            // Server-side encryption needs a store that implements it (Ceph RGW: npm run test:ceph).
            testIgnore: process.env.CIPHERDROP_TEST_S3_ENV ? [] : ['**/sse.spec.ts'],
          },
        ]
      : []),
    ...engines.map((engine) => ({ name: `browsers-${engine}`, testDir: 'test/browsers', use: { engine } })),
  ],
  globalTeardown: './test/remove-run-tmp.ts',
  // Each test moves tens of MiB through one 2-core machine: run them one at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 5 * 60_000,
  expect: { timeout: 60_000 },
  retries: process.env.CI ? 1 : 0,
  reporter: [['list'], ['json', { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? 'reports/e2e.json' }]],
  use: {
    // Without these a navigation or a waitForEvent('download') that never comes waits for the
    // whole test timeout; two minutes is far beyond any step here.
    actionTimeout: 120_000,
    navigationTimeout: 120_000,
    headless: true,
    trace: 'on-first-retry',
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
  },
});
