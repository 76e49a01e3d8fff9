import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'hono',
    include: ['test/**/*.test.ts'],
    // Core's setup: one PostgreSQL (embedded unless PGQ_TEST_DATABASE_URL) and a ws proxy per run.
    globalSetup: ['../core/test/setup/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
