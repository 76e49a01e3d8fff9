import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'core',
    include: ['test/**/*.test.ts'],
    // Starts PostgreSQL (or uses PGQ_TEST_DATABASE_URL) and the ws proxy once per run.
    globalSetup: ['./test/setup/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
