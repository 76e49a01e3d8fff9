// Tests of the packed packages, installed from their tarballs into a project outside the
// monorepo (see setup/global-setup.ts). Not a workspace member (no package.json here).
// From the repo root: npx vitest run --config apps/packed-consumer/vitest.config.ts
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // The monorepo's cache folder, not a node_modules of its own here.
  cacheDir: fileURLToPath(new URL('../../node_modules/.vite/packed-consumer', import.meta.url)),
  test: {
    name: 'packed-consumer',
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['test/**/*.test.ts'],
    globalSetup: ['./setup/global-setup.ts'],
    // Builds, installs, tsc, wrangler and three runtimes on two cores.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
})
