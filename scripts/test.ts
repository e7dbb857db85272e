/**
 * `npm test`: typecheck, lint, unit tests, build, end-to-end tests — every step runs, and the
 * output ends with one summary line counting both test runners ("N passed, N failed").
 * CIPHERDROP_BROWSERS (comma-separated: chromium, firefox, webkit; default all three) picks the
 * engines of the end-to-end step (playwright.config.ts); the time each took is printed.
 * `--ceph` (npm run test:ceph, with CIPHERDROP_TEST_S3_ENV set): the store-level Ceph tests and
 * the same end-to-end suite against that store; reports go to reports/ceph-*.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const ceph = process.argv.includes('--ceph');
if (ceph && !process.env.CIPHERDROP_TEST_S3_ENV) throw new Error('--ceph needs CIPHERDROP_TEST_S3_ENV (run it as npm run test:ceph)');
const UNIT_REPORT = ceph ? 'reports/ceph-unit.json' : 'reports/unit.json';
const E2E_REPORT = ceph ? 'reports/ceph-e2e.json' : 'reports/e2e.json';

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

// The pinned AWS SDK warns about Node 20 on every start; tests need not repeat it.
const env: NodeJS.ProcessEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', PLAYWRIGHT_JSON_OUTPUT_NAME: E2E_REPORT };
// The Ceph run is about the store, not the browser: Chromium alone there, unless told otherwise.
if (ceph) env.CIPHERDROP_BROWSERS ??= 'chromium';

function run(title: string, command: string, args: string[]): boolean {
  console.log(`\n=== ${title}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  return result.status === 0;
}

function unitCounts(): Counts | null {
  if (!existsSync(UNIT_REPORT)) return null;
  const r = JSON.parse(readFileSync(UNIT_REPORT, 'utf8'));
  return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests };
}

interface ReportSuite {
  specs?: { tests: { projectName: string; results: { duration: number }[] }[] }[];
  suites?: ReportSuite[];
}

/** Minutes of test time per Playwright project (chromium, browsers-firefox, …), from the JSON report. */
function e2eMinutes(): Map<string, number> {
  const minutes = new Map<string, number>();
  if (!existsSync(E2E_REPORT)) return minutes;
  const walk = (suite: ReportSuite) => {
    for (const spec of suite.specs ?? [])
      for (const t of spec.tests) for (const r of t.results) minutes.set(t.projectName, (minutes.get(t.projectName) ?? 0) + r.duration / 60_000);
    for (const child of suite.suites ?? []) walk(child);
  };
  for (const suite of JSON.parse(readFileSync(E2E_REPORT, 'utf8')).suites ?? []) walk(suite);
  return minutes;
}

function e2eCounts(): Counts | null {
  if (!existsSync(E2E_REPORT)) return null;
  const { stats } = JSON.parse(readFileSync(E2E_REPORT, 'utf8'));
  // A test that passed on retry is counted as passed, and called out by Playwright's own report.
  return { passed: stats.expected + stats.flaky, failed: stats.unexpected, skipped: stats.skipped };
}

rmSync(UNIT_REPORT, { force: true });
rmSync(E2E_REPORT, { force: true });
const npx = 'npx';
const vitestConfig = ceph ? ['--config', 'test/ceph/vitest.config.ts'] : [];
const steps = {
  typecheck: ceph || run('typecheck', npx, ['tsc', '-p', '.']),
  lint: ceph || run('format + lint', npx, ['biome', 'ci', '.']),
  unit: run(ceph ? 'store tests (Ceph RGW)' : 'unit tests', npx, [
    'vitest',
    'run',
    ...vitestConfig,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${UNIT_REPORT}`,
  ]),
  build: run('build', npx, ['vite', 'build']),
  e2e: false,
};
steps.e2e = steps.build && run(ceph ? 'end-to-end tests (Ceph RGW)' : 'end-to-end tests', npx, ['playwright', 'test']);

const unit = unitCounts() ?? { passed: 0, failed: 1, skipped: 0 };
const e2e = (steps.build ? e2eCounts() : null) ?? { passed: 0, failed: 1, skipped: 0 };
const failedSteps = Object.entries(steps)
  .filter(([, ok]) => !ok)
  .map(([name]) => name);
const total = {
  passed: unit.passed + e2e.passed,
  failed: unit.failed + e2e.failed + (steps.typecheck ? 0 : 1) + (steps.lint ? 0 : 1),
  skipped: unit.skipped + e2e.skipped,
};

console.log(`\n${ceph ? 'store (Ceph RGW)' : 'unit'}: ${unit.passed} passed, ${unit.failed} failed`);
console.log(`e2e${ceph ? ' (Ceph RGW)' : ''}: ${e2e.passed} passed, ${e2e.failed} failed`);
const perEngine = [...e2eMinutes()].map(([project, m]) => `${project} ${m.toFixed(1)} min`);
if (perEngine.length) console.log(`e2e time by project: ${perEngine.join(', ')}`);
if (failedSteps.length) console.log(`failed steps: ${failedSteps.join(', ')}`);
console.log(`total: ${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
process.exit(failedSteps.length || total.failed ? 1 : 0);
