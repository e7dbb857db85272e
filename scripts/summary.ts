/**
 * The one closing line of CI: every test report of the run (npm test, and npm run test:ceph when
 * it ran), counted together: "total: N passed, N failed".
 */
import { existsSync, readFileSync } from 'node:fs';

const runs = [
  { name: 'unit', file: 'reports/unit.json', kind: 'vitest' },
  { name: 'e2e', file: 'reports/e2e.json', kind: 'playwright' },
  { name: 'store (Ceph RGW)', file: 'reports/ceph-unit.json', kind: 'vitest' },
  { name: 'e2e (Ceph RGW)', file: 'reports/ceph-e2e.json', kind: 'playwright' },
] as const;

let passed = 0;
let failed = 0;
const wanted = process.argv.includes('--ceph') ? runs : runs.slice(0, 2);
for (const run of wanted) {
  if (!existsSync(run.file)) {
    console.log(`${run.name}: no report (the step did not run)`);
    failed++;
    continue;
  }
  const report = JSON.parse(readFileSync(run.file, 'utf8'));
  const counts =
    run.kind === 'vitest'
      ? { passed: report.numPassedTests, failed: report.numFailedTests }
      : { passed: report.stats.expected + report.stats.flaky, failed: report.stats.unexpected };
  console.log(`${run.name}: ${counts.passed} passed, ${counts.failed} failed`);
  passed += counts.passed;
  failed += counts.failed;
}
console.log(`total: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
