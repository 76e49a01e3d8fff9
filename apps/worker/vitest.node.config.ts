// The Node (VM) deployment's end-to-end test: a real process, real HTTP, real LISTEN/NOTIFY.
import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'worker-node',
    include: ['test/node/**/*.test.ts'],
    globalSetup: ['../../packages/core/test/setup/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
