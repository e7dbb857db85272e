import { defineConfig } from 'vitest/config';

/** The store-level tests that need a real engine (Ceph RGW): run by `npm run test:ceph`. */
export default defineConfig({
  test: {
    include: ['test/ceph/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
