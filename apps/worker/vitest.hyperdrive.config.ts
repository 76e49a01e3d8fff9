// The Hyperdrive Worker's tests run inside workerd (@cloudflare/vitest-pool-workers) with
// wrangler's local Hyperdrive pointed at a database of their own.
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineProject } from 'vitest/config'
import { pgOnWorkerdAliases } from './vitest.pg-aliases.ts'

export default defineProject({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.hyperdrive.toml' },
      miniflare: {
        hyperdrives: { HYPERDRIVE: inject('hyperdriveDatabaseUrl') },
        bindings: {
          PGQ_TOKEN: 'test-token',
          // Every second, so a test sees the schedule fire without waiting a minute.
          PGQ_REPORT_CRON: '* * * * * *',
        },
      },
    })),
  ],
  resolve: { alias: pgOnWorkerdAliases },
  test: {
    name: 'worker-hyperdrive',
    include: ['test/hyperdrive/**/*.test.ts'],
    globalSetup: ['./test/setup/hyperdrive-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
