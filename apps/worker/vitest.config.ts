// The Worker's tests run inside workerd (@cloudflare/vitest-pool-workers) and reach the test
// PostgreSQL through `pgq proxy`, with the URLs passed in as bindings.
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineProject } from 'vitest/config'

export default defineProject({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          DATABASE_URL: inject('workerDatabaseUrl'),
          PGQ_WS_PROXY: `ws://127.0.0.1:${inject('pgqProxyPort')}`,
          PGQ_TOKEN: 'test-token',
          PGQ_FLOW_SCHEMA: inject('flowSchema'),
          // Every second, so a test sees the schedule fire without waiting a minute.
          PGQ_REPORT_CRON: '* * * * * *',
        },
      },
    })),
  ],
  test: {
    name: 'worker',
    include: ['test/workers/**/*.test.ts'],
    globalSetup: ['./test/setup/proxy-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
